"""triplock scan vs sslyze and sslscan on the test farm of real TLS servers (127.0.0.1 only).

    .venv/bin/python benchmarks/tls_vs_peers.py [--runs 3] [--fleet 1000] [--skip-sslyze]

Starts the farm of tests/tlsscan/farm.py (openssl s_server variants and nginx), then:
1. wall time of each tool's whole command scanning the whole farm (direct connections), best
   of --runs, the contenders taking turns run after run: `triplock scan` and `sslyze` as
   subprocesses with the same concurrency per port (5, sslyze's own: triplock gets
   --per-host 5 x ports, the farm's ports all being on one address); triplock's in-process
   scan() and its default --per-host 5 are printed beside;
2. connections each tool opens, counted by a TCP relay in a separate process (second pass),
   the same way for every tool; triplock's own count (its JSON) is printed beside;
3. accepted cipher suites per protocol and server, triplock vs sslyze and sslscan;
4. with --fleet N: triplock alone on N endpoints (one nginx listening on N ports).
sslyze comes from PyPI into its own venv under benchmarks/.work/ (made on first run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.tlsscan.farm import NGINX_CONF, farm, free_port, make_pki, wait_listening  # noqa: E402

from triplock.rules._tls_grade import group_bits  # noqa: E402
from triplock.tlsscan import suites  # noqa: E402
from triplock.tlsscan.connector import Limits, parse_target  # noqa: E402
from triplock.tlsscan.scanner import scan  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
SSLYZE_VERSION = "6.3.1"
SSLYZE_KEYS = {
    "ssl_2_0_cipher_suites": "SSLv2",
    "ssl_3_0_cipher_suites": "SSLv3",
    "tls_1_0_cipher_suites": "TLSv1.0",
    "tls_1_1_cipher_suites": "TLSv1.1",
    "tls_1_2_cipher_suites": "TLSv1.2",
    "tls_1_3_cipher_suites": "TLSv1.3",
}
Suites = dict[str, set[str]]  # by protocol, and the elliptic curves under "curves"
CURVE_NAMES = {"prime256v1": "secp256r1", "prime192v1": "secp192r1", "X25519": "x25519",
               "X448": "x448"}  # fmt: skip


def sslyze_python() -> Path:
    python = WORK / "sslyze-venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"sslyze=={SSLYZE_VERSION}"], check=True
        )
    return python


# -- a counting TCP relay in its own process ------------------------------------------------


def _relay_main(routes: dict[int, int], counts: Any, ready: Any) -> None:
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def handler(listen: int, target: int) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            counts[listen] = counts.get(listen, 0) + 1
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        return handle

    async def main() -> None:
        for listen, target in routes.items():
            await asyncio.start_server(handler(listen, target), "127.0.0.1", listen)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class Relay:
    def __init__(self, ports: list[int]) -> None:
        self.routes = {free_port(): port for port in ports}
        self.manager = multiprocessing.Manager()
        self.counts = self.manager.dict()
        ready = self.manager.Event()
        self.process = multiprocessing.Process(
            target=_relay_main, args=(self.routes, self.counts, ready), daemon=True
        )
        self.process.start()
        ready.wait(10)

    def port_for(self, port: int) -> int:
        return next(listen for listen, target in self.routes.items() if target == port)

    def total(self) -> int:
        total: int = sum(self.counts.values())
        return total

    def reset(self) -> None:
        self.counts.clear()

    def stop(self) -> None:
        self.process.terminate()
        self.manager.shutdown()


# -- the tools ------------------------------------------------------------------------------


PER_PORT = 5  # sslyze's connections per server


def triplock_command(targets: list[str], per_host: int, out: str) -> list[str]:
    return [
        sys.executable, "-m", "triplock", "scan", "--format", "json", "-o", out,
        "--per-host", str(per_host), "--fail-on", "critical", *targets,
    ]  # fmt: skip


def run_triplock(
    targets: list[str], per_host: int | None = None
) -> tuple[float, dict[str, Suites], int]:
    """The whole `triplock scan` command; wall time, suites by target, its own connection count."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "scan.json")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(ROOT / "src")
        started = time.perf_counter()
        subprocess.run(
            triplock_command(targets, per_host or PER_PORT * len(targets), out),
            env=env, capture_output=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        document = json.loads(Path(out).read_text())
    found = {
        ep["target"]: {
            **{p: set(names) for p, names in ep["cipher_suites"].items()},
            "curves": {g for g in ep["groups"] if group_bits(g) is not None},
        }
        for ep in document["endpoints"]
    }
    return wall, found, sum(ep["connections"] for ep in document["endpoints"])


def run_triplock_in_process(targets: list[str]) -> float:
    started = time.perf_counter()
    scan([parse_target(t) for t in targets], Limits(timeout=5, per_host=PER_PORT * len(targets)))
    return time.perf_counter() - started


def best_of(runs: int, contenders: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each contender's run with the least wall time (a run returns wall time first, or only
    that). The contenders take turns, run after run, so that a change of the machine's load
    falls on all of them rather than on whichever ran then."""
    results: dict[str, list[Any]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            results[name].append(run())
    return {
        name: min(rs, key=lambda r: r[0] if isinstance(r, tuple) else r)
        for name, rs in results.items()
    }


def run_sslyze(python: Path, targets: list[str]) -> tuple[float, dict[str, Suites]]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    started = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "sslyze", "--quiet", f"--json_out={path}", *targets],
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - started
    document = json.loads(Path(path).read_text())
    os.unlink(path)
    found: dict[str, Suites] = {}
    for server in document["server_scan_results"]:
        location = server["server_location"]
        target = f"{location['hostname']}:{location['port']}"
        result = server.get("scan_result") or {}
        per: Suites = {}
        for key, protocol in SSLYZE_KEYS.items():
            attempt = result.get(key) or {}
            accepted = (attempt.get("result") or {}).get("accepted_cipher_suites") or []
            names = {a["cipher_suite"]["name"] for a in accepted}
            if names:
                per[protocol] = names
        curves = ((result.get("elliptic_curves") or {}).get("result") or {}).get(
            "supported_curves"
        ) or []
        per["curves"] = {CURVE_NAMES.get(c["name"], c["name"]) for c in curves}
        found[target] = per
    return wall, found


def run_sslscan(targets: list[str]) -> tuple[float, dict[str, Suites]]:
    found: dict[str, Suites] = {}
    started = time.perf_counter()
    for target in targets:
        out = subprocess.run(
            ["sslscan", "--no-colour", "--show-cipher-ids", "--xml=-", target],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        per: Suites = {}
        try:
            tree = ET.fromstring(out[out.index("<?xml") :])
        except (ValueError, ET.ParseError):
            found[target] = per
            continue
        for cipher in tree.iter("cipher"):
            if cipher.get("status") not in ("accepted", "preferred"):
                continue
            protocol = cipher.get("sslversion", "")
            code = int(cipher.get("id", "0x0"), 16)
            per.setdefault(protocol, set()).add(suites.name_of(code))
        found[target] = per
    return time.perf_counter() - started, found


# -- the report -----------------------------------------------------------------------------


def compare(name: str, ours: Suites, theirs: Suites) -> str:
    diffs = []
    for protocol in sorted(set(ours) | set(theirs)):
        if protocol == "curves" and protocol not in theirs:
            continue  # a tool that does not enumerate curves
        only_ours = ours.get(protocol, set()) - theirs.get(protocol, set())
        only_theirs = theirs.get(protocol, set()) - ours.get(protocol, set())
        if only_ours:
            diffs.append(f"{protocol} only triplock: {', '.join(sorted(only_ours))}")
        if only_theirs:
            diffs.append(f"{protocol} only {name}: {', '.join(sorted(only_theirs))}")
    return "identical" if not diffs else "; ".join(diffs)


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def fleet(n: int, directory: Path) -> None:
    """triplock alone on n endpoints: one nginx (Mozilla intermediate) listening on n ports."""
    pki = make_pki(directory / "pki")
    unique: set[int] = set()
    while len(unique) < n:  # free_port() may hand out a port again once it is released
        unique.add(free_port())
    ports = sorted(unique)
    conf_dir = directory / "fleet"
    conf_dir.mkdir()
    conf = NGINX_CONF.format(
        dir=conf_dir,
        port=ports[0],
        cert=pki.files["rsa-full.pem"],
        key=pki.files["rsa.key"],
        ciphers="ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
    listens = "\n".join(f"        listen 127.0.0.1:{p} ssl;" for p in ports[1:])
    conf = conf.replace("worker_processes 1;", "worker_processes 2;\nworker_rlimit_nofile 65536;")
    conf = conf.replace("master_process off;", "").replace(
        "worker_connections 512;", "worker_connections 8192;"
    )
    conf = conf.replace(
        f"listen 127.0.0.1:{ports[0]} ssl;", f"listen 127.0.0.1:{ports[0]} ssl;\n{listens}"
    )
    (conf_dir / "nginx.conf").write_text(conf)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [nginx, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for port in (ports[0], ports[-1]):
            wait_listening(port, process)
        targets = [f"127.0.0.1:{p}" for p in ports]
        started = time.perf_counter()
        # Each port stands in for one host of a 1,000-host fleet (see run_triplock).
        limits = Limits(timeout=10, per_host=5 * len(targets))
        endpoints = scan([parse_target(t) for t in targets], limits)
        wall = time.perf_counter() - started
        errors = [ep.error for ep in endpoints if ep.error]
        same = sum(1 for ep in endpoints if len(ep.accepted()) == len(endpoints[0].accepted()))
        print(
            f"\nfleet: {n} endpoints in {wall:.1f} s ({n / wall:.0f} endpoints/s), "
            f"{sum(ep.connections for ep in endpoints)} connections, {len(errors)} errors, "
            f"{same} with the same suites as the first"
        )
    finally:
        process.terminate()
        process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleet", type=int, default=0, metavar="N")
    parser.add_argument("--skip-sslyze", action="store_true")
    args = parser.parse_args()
    raise_fd_limit()
    python = None if args.skip_sslyze else sslyze_python()
    # Bytecode as `pip install` leaves it (sslyze's venv has its own): a run from a source
    # tree under PYTHONDONTWRITEBYTECODE would otherwise compile every module each time.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    with tempfile.TemporaryDirectory() as tmp, farm(Path(tmp)) as servers:
        names = list(servers)
        targets = [servers[n].target for n in names]
        rows: dict[str, dict[str, Any]] = {}
        load_before = os.getloadavg()[0]
        contenders: dict[str, Callable[[], Any]] = {
            "triplock": lambda: run_triplock(targets),
            "default": lambda: run_triplock(targets, per_host=5),
            "in-process": lambda: run_triplock_in_process(targets),
        }
        if python is not None:
            contenders["sslyze"] = lambda: run_sslyze(python, targets)
        best = best_of(args.runs, contenders)
        wall, ours, own_count = best["triplock"]
        rows["triplock"] = {"wall": wall, "suites": ours}
        default_wall, in_process = best["default"][0], best["in-process"]
        if python is not None:
            wall, theirs = best["sslyze"]
            rows["sslyze"] = {"wall": wall, "suites": theirs}
        wall, theirs = run_sslscan(targets)
        rows["sslscan"] = {"wall": wall, "suites": theirs}
        load_after = os.getloadavg()[0]
        relay = Relay([servers[n].port for n in names])
        relayed = [f"127.0.0.1:{relay.port_for(servers[n].port)}" for n in names]
        runners: dict[str, Callable[[], object]] = {
            "triplock": lambda: run_triplock(relayed),
            "sslyze": lambda: run_sslyze(python, relayed) if python else None,
            "sslscan": lambda: run_sslscan(relayed),
        }
        for tool in rows:
            relay.reset()
            runners[tool]()
            rows[tool]["connections"] = relay.total()
        relay.stop()
        print(f"farm: {len(names)} servers on 127.0.0.1 ({', '.join(names)})")
        print(
            f"whole commands, best of {args.runs} taking turns, {PER_PORT} connections per port "
            "at once"
        )
        print(
            f"load average (1 min) {load_before:.2f} before the timed runs, {load_after:.2f} "
            f"after, on {os.cpu_count()} CPUs\n"
        )
        print(f"{'tool':<10} {'wall s':>8} {'connections':>12} {'wall x':>8} {'conns x':>8}")
        base = rows["triplock"]
        for tool, row in rows.items():
            print(
                f"{tool:<10} {row['wall']:>8.2f} {row['connections']:>12} "
                f"{row['wall'] / base['wall']:>8.1f} "
                f"{row['connections'] / max(1, base['connections']):>8.1f}"
            )
        print(
            f"\ntriplock: {own_count} connections by its own count (JSON), "
            f"{base['connections']} by the relay"
        )
        print(
            "triplock scan --per-host 5 (the default, 5 for all ports together): "
            f"{default_wall:.2f} s"
        )
        print(f"triplock in-process scan() (no start-up, no judging): {in_process:.2f} s")
        if "sslyze" in rows:
            sslyze_wall = rows["sslyze"]["wall"]
            print(
                f"sslyze / triplock: {sslyze_wall / base['wall']:.1f}x command to command, "
                f"{sslyze_wall / default_wall:.1f}x against --per-host 5, "
                f"{sslyze_wall / in_process:.1f}x against the in-process scan"
            )
        print("\naccepted suites per protocol (and elliptic curves), triplock vs the peers:")
        for name, target in zip(names, targets, strict=True):
            line = [f"  {name:<20}"]
            for tool in ("sslyze", "sslscan"):
                if tool in rows:
                    theirs = rows[tool]["suites"].get(target, {})
                    line.append(f"{tool}: {compare(tool, ours[target], theirs)}")
            print(" | ".join(line))
    if args.fleet:
        with tempfile.TemporaryDirectory() as tmp:
            fleet(args.fleet, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
