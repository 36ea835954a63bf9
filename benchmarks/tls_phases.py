"""Where a `triplock scan` of the farm spends its time, phase by phase (127.0.0.1 only).

    .venv/bin/python benchmarks/tls_phases.py [--runs 5]

1. start-up: the interpreter, `triplock --version`, the imports of the scan path, and the
   imports + first call of the judging path (every rule module);
2. one connection: a hello-only exchange (asyncio, the scanner's own) against a full
   handshake with the `ssl` module, on the farm's "defaults" server;
3. one endpoint: the probe of "defaults" alone, its connections and wall time;
4. one address with many ports: the farm scanned in-process with --per-host 5 (the default,
   every port together), 5 per port (sslyze's concurrency) and unbounded;
5. judging and rendering the farm's endpoints (rules, grade, JSON).
Each figure is the best (least) of --runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.tlsscan.farm import farm  # noqa: E402

from triplock.commands.scan import judge_endpoints, render_json  # noqa: E402
from triplock.tlsscan import suites, wire  # noqa: E402
from triplock.tlsscan.connector import Connector, Limits, parse_target  # noqa: E402
from triplock.tlsscan.probe import probe  # noqa: E402
from triplock.tlsscan.scanner import scan  # noqa: E402


def best(runs: int, action: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return min(samples)


def command(*args: str) -> Callable[[], object]:
    # With bytecode, as an installed triplock runs (see tls_vs_peers.py).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    argv = [sys.executable, *args]
    return lambda: subprocess.run(argv, check=True, capture_output=True, cwd=ROOT / "src", env=env)


def startup(runs: int) -> None:
    print("1. start-up (subprocess, best of runs)")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    rows = {
        "python -c pass": command("-c", "pass"),
        "triplock --version": command("-m", "triplock", "--version"),
        "import the scan path": command(
            "-c", "import triplock.commands.scan, triplock.tlsscan.scanner, triplock.cli"
        ),
        "import + judge nothing (TLS, cert rules)": command(
            "-c", "from triplock.commands.scan import judge_endpoints; judge_endpoints([])"
        ),
    }
    for label, action in rows.items():
        print(f"   {label:<40} {best(runs, action):7.3f} s")


def one_connection(port: int, runs: int) -> None:
    print("2. one connection to 'defaults' (mean of 50, best of runs)")
    payload = wire.client_hello(wire.TLS12, [s.code for s in suites.tls12_and_older()[:128]])

    async def hellos() -> None:
        conn = Connector(
            parse_target(f"127.0.0.1:{port}"), Limits(), asyncio.Semaphore(1), asyncio.Semaphore(1)
        )
        for _ in range(50):
            await conn.exchange(payload)

    def full() -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        for _ in range(50):
            with (
                socket.create_connection(("127.0.0.1", port)) as raw,
                ctx.wrap_socket(raw) as tls,
            ):
                tls.unwrap()

    hello = best(runs, lambda: asyncio.run(hellos())) / 50
    handshake = best(runs, full) / 50
    print(f"   hello-only exchange (to ServerHelloDone)  {hello * 1000:7.2f} ms")
    print(f"   full TLS 1.3 handshake (ssl module)       {handshake * 1000:7.2f} ms")


def one_endpoint(port: int, runs: int) -> None:
    print("3. one endpoint, 'defaults' alone (best of runs)")
    found = []

    async def run() -> None:
        found.append(
            await probe(parse_target(f"127.0.0.1:{port}"), Limits(), asyncio.Semaphore(256))
        )

    wall = best(runs, lambda: asyncio.run(run()))
    ep = found[-1]
    print(f"   probe: {wall:.3f} s, {ep.connections} connections, {len(ep.accepted())} suites")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def many_ports(targets: list[str], server_pids: list[int], runs: int) -> list[object]:
    print(f"4. one address, {len(targets)} ports, in-process scan() (best of runs)")
    parsed = [parse_target(t) for t in targets]
    endpoints: list[object] = []
    for label, per_host in (
        ("--per-host 5 (default)", 5),
        ("5 per port (sslyze's)", 5 * len(targets)),
        ("unbounded (--per-host 1000)", 1000),
    ):
        wall = best(runs, lambda p=per_host: endpoints.__setitem__(  # type: ignore[misc]
            slice(None), scan(parsed, Limits(timeout=5, per_host=p))
        ))  # fmt: skip
        print(f"   {label:<32} {wall:7.3f} s")
    # CPU: the scan is bound by the CPU its client and the servers need on the shared cores.
    client, servers = time.process_time(), cpu_seconds(server_pids)
    loop_thread = time.thread_time()
    scan(parsed, Limits(timeout=5, per_host=5 * len(targets)))
    print(
        f"   CPU of one 5-per-port scan: client {time.process_time() - client:.3f} s "
        f"(event loop {time.thread_time() - loop_thread:.3f} s, the rest full handshakes in "
        f"threads), servers {cpu_seconds(server_pids) - servers:.3f} s, on {os.cpu_count()} CPUs"
    )
    return endpoints


def judging(endpoints: list[object], runs: int) -> None:
    print("5. judging and rendering the farm's endpoints (in-process, best of runs)")
    wall = best(runs, lambda: render_json(endpoints, judge_endpoints(endpoints)))  # type: ignore[arg-type]
    print(f"   judge_endpoints + render_json             {wall:7.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average (1 min) {os.getloadavg()[0]:.2f} at the start")
    startup(args.runs)
    with tempfile.TemporaryDirectory() as tmp, farm(Path(tmp)) as servers:
        one_connection(servers["defaults"].port, args.runs)
        one_endpoint(servers["defaults"].port, args.runs)
        pids = [s.process.pid for s in servers.values()]
        endpoints = many_ports([s.target for s in servers.values()], pids, args.runs)
        judging(endpoints, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
