"""Shared, session-scoped set-ups for the keys tests: one generated PKI, one SoftHSM2 token, one
Spark session (local-cluster with two executor JVMs, its UI on TLS with the generated keystore)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import need, need_command, need_module, run_cli
from tests.helpers.keys import FAST_SCRYPT, PASSPHRASE, Pki, SparkCluster, Token


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate for localhost, a keystore and a truststore, made by the CLI."""
    root = tmp_path_factory.mktemp("pki")
    ca, certs = root / "ca", root / "certs"
    for args in (
        ("keys", "ca", "--out", str(ca)),
        (
            "keys", "cert", "--ca", str(ca), "--out", str(certs), "--name", "server",
            "--san", "localhost", "--san", "127.0.0.1",
        ),
        (
            "keys", "keystore", "--key", str(certs / "server.key"),
            "--chain", str(certs / "server.pem"), "--out", str(certs / "server.p12"),
            "--truststore", str(certs / "truststore.p12"),
        ),
    ):  # fmt: skip
        result = run_cli(*args)
        assert result.code == 0, result.err
    return Pki(root, ca, certs)


@pytest.fixture
def keyring(tmp_path: Path) -> tuple[Path, Path]:
    """A file KMS keyring and the file holding its passphrase."""
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE)
    ring = tmp_path / "keyring.json"
    result = run_cli(
        "keys", "kms", "init", "--kms", f"file:{ring}", "--kms-secret-file", str(secret),
        "--scrypt-n", FAST_SCRYPT,
    )  # fmt: skip
    assert result.code == 0, result.err
    return ring, secret


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    """A real SoftHSM2 token in a temporary directory (SOFTHSM2_CONF points at it)."""
    util = need_command("softhsm2-util")
    need(os.path.exists(SOFTHSM_MODULE), f"the SoftHSM2 library {SOFTHSM_MODULE}")
    need_module("pkcs11")
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin = home / "pin"
    pin.write_text("481516")
    subprocess.run(
        [util, "--init-token", "--free", "--label", "triplock-test", "--pin", "481516",
         "--so-pin", "23420815"],
        check=True, capture_output=True,
    )  # fmt: skip
    yield Token("triplock-test", pin, SOFTHSM_MODULE)
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_executors(session: Any, executors: int, seconds: float = 180) -> None:
    """local-cluster executors register a while after the session starts."""
    deadline = time.monotonic() + seconds
    status = session.sparkContext._jsc.sc().getExecutorMemoryStatus
    while status().size() < executors + 1:  # + the driver's block manager
        if time.monotonic() > deadline:
            pytest.fail(f"{executors} executors did not register within {seconds:.0f} s")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def spark(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkCluster]:
    """One SparkSession for the test session: master local-cluster[2,1,1024] (two executor JVMs
    with Python workers), the web UI served over TLS from the generated PKCS#12 keystore.
    tests/probe joins this session when it runs after these tests."""
    need_command("java")
    pyspark = need_module("pyspark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        # Another folder's session-scoped session (tests/probe, run first): its tests are done,
        # and these tests need a UI on TLS, which only a new session has.
        active.stop()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # local-cluster executors work in SPARK_HOME/work: a private SPARK_HOME (links to the real
    # one) keeps that scratch space away from other test runs in this tree.
    home = tmp_path_factory.mktemp("spark-home")
    for entry in Path(pyspark.__file__).parent.iterdir():
        if entry.name != "work":
            (home / entry.name).symlink_to(entry)
    old_home = os.environ.get("SPARK_HOME")
    os.environ["SPARK_HOME"] = str(home)
    port = free_port()
    password = (pki.certs / "server.p12.pass").read_text()
    session = (
        SparkSession.builder.master("local-cluster[2,1,1024]")
        .appName("triplock-keys-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "true")  # an earlier session's settings stay in the JVM
        .config("spark.ui.port", str(free_port()))
        .config("spark.ssl.ui.enabled", "true")
        .config("spark.ssl.ui.port", str(port))
        .config("spark.ssl.ui.protocol", "TLSv1.3")
        .config("spark.ssl.ui.keyStore", str(pki.certs / "server.p12"))
        .config("spark.ssl.ui.keyStoreType", "PKCS12")
        .config("spark.ssl.ui.keyStorePassword", password)
        .config("spark.ssl.ui.keyPassword", password)
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executor.memory", "512m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _wait_for_executors(session, 2)
    yield SparkCluster(session, port)
    session.stop()
    if old_home is None:
        os.environ.pop("SPARK_HOME", None)
    else:
        os.environ["SPARK_HOME"] = old_home
