"""Real Spark for the verify tests, started on free loopback ports and killed at the end.

One module-scoped set-up per configuration keeps the JVM count low:
- `open_cluster`: a standalone master (REST submission server on, no filter, no auth) and a
  worker, from pyspark's own bin/spark-class;
- `locked_master`: a master with spark.authenticate, JWSFilter on the UI and the REST server,
  and the standalone UI over TLS with a keystore made by `triplock keys`, with HSTS;
- `application`: a real application (local master, in its own Python process) with ACLs on,
  a view ACL, no UI filter, and a canary secret in spark.authenticate.secret.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import need_command, need_module, run_cli

CANARY = "CANARY-verify-4f1c"
_START_SECONDS = 240  # a JVM on a loaded 2-core machine may take minutes to listen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spark_home() -> Path:
    need_command("java")
    pyspark = need_module("pyspark")
    return Path(pyspark.__file__).parent


@dataclass
class Daemons:
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        out = log.open("wb")
        self.procs.append(
            subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        )
        self.logs.append(log)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_for(self, url: str, ok: tuple[int, ...] = (200,), holding: bytes = b"") -> None:
        """Until `url` answers (a status in `ok`, 401 or 403; with `holding` in a 200 body)."""
        import ssl

        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                break
            try:
                with urllib.request.urlopen(url, timeout=5, context=context) as reply:
                    if holding in reply.read():
                        return
            except urllib.error.HTTPError as e:
                if e.code in ok or e.code in (401, 403):
                    return
            except OSError:
                pass
            time.sleep(1)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs)
        self.stop()
        pytest.fail(f"{url} did not come up:\n{logs}")


def _properties(path: Path, conf: dict[str, str]) -> Path:
    path.write_text("".join(f"{k} {v}\n" for k, v in conf.items()))
    return path


def _spark_class(home: Path, cls: str, *args: str) -> list[str]:
    return [str(home / "bin" / "spark-class"), cls, *args]


def _env(home: Path, work: Path) -> dict[str, str]:
    return {
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str(work),
        "SPARK_DAEMON_MEMORY": "256m",
        "PYSPARK_PYTHON": sys.executable,
    }


@dataclass(frozen=True)
class OpenCluster:
    rpc: int
    ui: int
    rest: int
    worker_rpc: int


@pytest.fixture(scope="module")
def open_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenCluster]:
    home = spark_home()
    tmp = tmp_path_factory.mktemp("open-cluster")
    rpc, ui, rest, worker_rpc, worker_ui = (free_port() for _ in range(5))
    conf = _properties(
        tmp / "master.conf",
        {"spark.master.rest.enabled": "true", "spark.master.rest.port": str(rest)},
    )
    env = _env(home, tmp / "work")
    daemons = Daemons()
    master = "org.apache.spark.deploy.master.Master"
    daemons.start(
        _spark_class(home, master, "--host", "127.0.0.1", "--port", str(rpc),
                     "--webui-port", str(ui), "--properties-file", str(conf)),
        tmp / "master.log", env,
    )  # fmt: skip
    daemons.wait_for(f"http://127.0.0.1:{ui}/json/")
    worker = "org.apache.spark.deploy.worker.Worker"
    daemons.start(
        _spark_class(home, worker, "--host", "127.0.0.1", "--port", str(worker_rpc),
                     "--webui-port", str(worker_ui), "--cores", "1", "--memory", "512m",
                     f"spark://127.0.0.1:{rpc}"),
        tmp / "worker.log", env,
    )  # fmt: skip
    daemons.wait_for(f"http://127.0.0.1:{worker_ui}/json/")
    try:
        yield OpenCluster(rpc, ui, rest, worker_rpc)
    finally:
        daemons.stop()


@dataclass(frozen=True)
class LockedMaster:
    rpc: int
    ui: int  # plain port: redirects to `https`
    https: int
    rest: int
    ca: Path


def jws_key() -> str:
    """A JWSFilter key in base64url without padding: a standard-base64 key holding '/' makes
    the REST server silently not start (issue 16)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@dataclass(frozen=True)
class Pki:
    ca: Path  # the root certificate
    keystore: Path
    password: str


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA and a PKCS#12 keystore for 127.0.0.1, made by `triplock keys`."""
    tmp = tmp_path_factory.mktemp("pki")
    ca, certs = tmp / "ca", tmp / "certs"
    for args in (
        ("keys", "ca", "--out", str(ca)),
        ("keys", "cert", "--ca", str(ca), "--out", str(certs), "--name", "server",
         "--san", "localhost", "--san", "127.0.0.1"),
        ("keys", "keystore", "--key", str(certs / "server.key"),
         "--chain", str(certs / "server.pem"), "--out", str(certs / "server.p12")),
    ):  # fmt: skip
        result = run_cli(*args)
        assert result.code == 0, result.err
    password = (certs / "server.p12.pass").read_text()
    return Pki(ca / "root.pem", certs / "server.p12", password)


def tls_conf(ns: str, port: int, pki: Pki) -> dict[str, str]:
    return {
        f"spark.ssl.{ns}.enabled": "true",
        f"spark.ssl.{ns}.port": str(port),
        f"spark.ssl.{ns}.keyStore": str(pki.keystore),
        f"spark.ssl.{ns}.keyStoreType": "PKCS12",
        f"spark.ssl.{ns}.keyStorePassword": pki.password,
        f"spark.ssl.{ns}.keyPassword": pki.password,
        "spark.ui.strictTransportSecurity": "max-age=31536000",
    }


@pytest.fixture(scope="module")
def locked_master(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockedMaster]:
    home = spark_home()
    tmp = tmp_path_factory.mktemp("locked-master")
    rpc, ui, https, rest = (free_port() for _ in range(4))
    key = jws_key()
    conf = _properties(
        tmp / "master.conf",
        {
            "spark.authenticate": "true",
            "spark.authenticate.secret": secrets.token_hex(16),
            "spark.master.rest.enabled": "true",
            "spark.master.rest.port": str(rest),
            "spark.master.rest.filters": "org.apache.spark.ui.JWSFilter",
            "spark.ui.filters": "org.apache.spark.ui.JWSFilter",
            "spark.org.apache.spark.ui.JWSFilter.param.secretKey": key,
            **tls_conf("standalone", https, pki),
        },
    )
    conf.chmod(0o600)
    daemons = Daemons()
    daemons.start(
        _spark_class(home, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                     "--port", str(rpc), "--webui-port", str(ui),
                     "--properties-file", str(conf)),
        tmp / "master.log", _env(home, tmp / "work"),
    )  # fmt: skip
    daemons.wait_for(f"https://127.0.0.1:{https}/")
    daemons.wait_for(f"http://127.0.0.1:{rest}/v1/submissions/status/x")
    try:
        yield LockedMaster(rpc, ui, https, rest, pki.ca)
    finally:
        daemons.stop()


_APP = """
import sys, time
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]").appName("verify-app")
         .config("spark.ui.port", sys.argv[1])
         .config("spark.acls.enable", "true").config("spark.ui.view.acls", "alice")
         .config("spark.authenticate.secret", sys.argv[2])
         .config("spark.hadoop.fs.s3a.secret.key", sys.argv[2])
         .config(map=dict(line.split(" ", 1) for line in sys.argv[3:]))
         .getOrCreate())
print("READY", flush=True)
sys.stdin.read()  # until the test closes stdin
spark.stop()
"""


@dataclass(frozen=True)
class Application:
    ui: int  # plain port: redirects to `https`
    https: int


@pytest.fixture(scope="module")
def application(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Application]:
    home = spark_home()
    tmp = tmp_path_factory.mktemp("application")
    script = tmp / "app.py"
    script.write_text(_APP)
    ui, https = free_port(), free_port()
    daemons = Daemons()
    log = tmp / "app.log"
    tls = [f"{k} {v}" for k, v in tls_conf("ui", https, pki).items()]
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ui), CANARY, *tls],
        stdin=subprocess.PIPE,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **_env(home, tmp / "work")},
        start_new_session=True,
    )
    daemons.procs.append(proc)
    daemons.logs.append(log)
    daemons.wait_for(f"https://127.0.0.1:{https}/api/v1/applications", holding=b'"id"')
    try:
        yield Application(ui, https)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        daemons.stop()
