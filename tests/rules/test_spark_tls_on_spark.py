"""The Spark TLS rules against real Spark: a pyspark driver runs each configuration, triplock
scans its web UI, and the audit of the same settings must say what the wire shows.

What Spark does (SecurityManager parses spark.ssl with no defaults, then each namespace with
them; SSLOptions.parse): spark.ssl.ui.enabled defaults to spark.ssl.enabled, and every other
spark.ssl.ui.* falls back to spark.ssl.* only when spark.ssl.enabled=true, since the defaults
are empty otherwise. The UI's HTTPS port is spark.ui.port + 400 unless spark.ssl.ui.port says
(JettyUtils.startJettyServer; spark.ssl.port is not read), and the plain port only redirects.
The keystore is made by keytool, as an operator would."""

from __future__ import annotations

import http.client
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import need_command, run_cli, write
from tests.helpers.spark_driver import spark_driver
from tests.tlsscan.farm import free_port, wait_listening
from triplock.facts.tls import Endpoint
from triplock.tlsscan import suites

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PASSWORD = "ui-keystore-pass"
AEAD_ONLY = "TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
_START_SECONDS = 240  # a JVM on a loaded 2-core machine may take minutes to listen


def _keytool_keystore(path: Path, store_type: str = "PKCS12") -> Path:
    keytool = need_command("keytool")
    subprocess.run(
        [keytool, "-genkeypair", "-alias", "ui", "-keyalg", "EC", "-groupname", "secp256r1",
         "-dname", "CN=localhost", "-validity", "2", "-storetype", store_type,
         "-keystore", str(path), "-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return path


def _ui_ports() -> tuple[int, int]:
    """A free plain port whose + 400 (Spark's HTTPS port for it) is free too."""
    while True:
        port = free_port()
        if port + 400 < 65536:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 400))
            except OSError:
                continue
            return port, port + 400


def _scan(port: int) -> Endpoint:
    from triplock.tlsscan.connector import Limits, parse_target
    from triplock.tlsscan.scanner import scan

    (endpoint,) = scan([parse_target(f"127.0.0.1:{port}")], Limits(timeout=10))
    return endpoint


@dataclass(frozen=True)
class Run:
    endpoint: Endpoint  # the UI's HTTPS port as triplock's scanner saw it
    redirect: tuple[int, str]  # the plain port's answer: status and Location
    generic_port_open: bool  # whether anything listens on spark.ssl.port
    rpc: str  # `triplock scan` of the driver's RPC port: why it is not TLS
    findings: dict[str, list[dict[str, str]]]  # the audit of the same settings, per rule


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _run(directory: Path, tls: dict[str, str]) -> Iterator[Run]:
    port, https_port = _ui_ports()
    generic_port, rpc_port = free_port(), free_port()
    conf = {
        "spark.ui.port": str(port),
        "spark.ssl.port": str(generic_port),
        "spark.driver.port": str(rpc_port),
        **tls,
    }
    text = "spark.master local[1]\n" + "".join(f"{k} {v}\n" for k, v in conf.items())
    audit = run_cli("audit", str(write(directory, "spark-defaults.conf", text)), "--format", "json")
    findings: dict[str, list[dict[str, str]]] = {}
    for f in audit.json()["findings"]:
        findings.setdefault(f["rule_id"], []).append(f)
    with spark_driver(conf) as process:
        wait_listening(https_port, process, timeout=_START_SECONDS)
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        plain.request("GET", "/")
        answer = plain.getresponse()
        redirect = (answer.status, answer.getheader("Location") or "")
        plain.close()
        rpc = run_cli("scan", f"127.0.0.1:{rpc_port}", "--format", "json", "--timeout", "10")
        (rpc_endpoint,) = rpc.json()["endpoints"]
        yield Run(
            _scan(https_port),
            redirect,
            _listening(generic_port),
            rpc_endpoint["error"] or "",
            findings,
        )


def _keystore_settings(prefix: str, keystore: Path) -> dict[str, str]:
    return {
        f"{prefix}.keyStore": str(keystore),
        f"{prefix}.keyStorePassword": PASSWORD,
        f"{prefix}.keyPassword": PASSWORD,
        f"{prefix}.keyStoreType": "PKCS12",
    }


@pytest.fixture(scope="module")
def generic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Only spark.ssl.*: spark.ssl.enabled=true and the keystore and suites beside it."""
    directory = tmp_path_factory.mktemp("generic")
    keystore = _keytool_keystore(directory / "ui.p12")
    tls = {
        "spark.ssl.enabled": "true",
        **_keystore_settings("spark.ssl", keystore),
        "spark.ssl.enabledAlgorithms": AEAD_ONLY,
    }
    yield from _run(directory, tls)


@pytest.fixture(scope="module")
def namespaced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """TLS on for the UI alone, its keystore under spark.ssl.ui, the suites under spark.ssl.
    The keystore is a JKS file typed PKCS12, what SPARK-037's old fix left."""
    directory = tmp_path_factory.mktemp("namespaced")
    keystore = _keytool_keystore(directory / "ui.jks", "JKS")
    assert keystore.read_bytes()[:4] == b"\xfe\xed\xfe\xed"  # the JKS magic
    tls = {
        "spark.ssl.ui.enabled": "true",
        **_keystore_settings("spark.ssl.ui", keystore),
        "spark.ssl.enabledAlgorithms": AEAD_ONLY,
    }
    yield from _run(directory, tls)


def _aead_with_forward_secrecy_only(endpoint: Endpoint) -> bool:
    accepted = [suites.by_name(name) for name in endpoint.accepted()]
    return all(s is not None and s.forward_secrecy and s.aead for s in accepted)


def _status(run: Run, rule_id: str) -> str:
    (finding,) = run.findings[rule_id]
    return finding["status"]


def test_generic_settings_alone_serve_the_ui_over_tls_on_its_port_plus_400(generic: Run) -> None:
    assert generic.endpoint.error is None, generic.endpoint.error
    assert generic.endpoint.accepted()
    status, location = generic.redirect
    assert 300 <= status < 400 and location.startswith("https://")
    assert not generic.generic_port_open  # spark.ssl.port is not the UI's
    assert _status(generic, "SPARK-030") == "pass"


def test_the_ui_inherits_the_generic_suites_when_spark_ssl_enabled_is_true(generic: Run) -> None:
    assert _aead_with_forward_secrecy_only(generic.endpoint)
    assert _status(generic, "SPARK-036") == "pass"


def test_rpc_does_not_inherit_spark_ssl_enabled(generic: Run) -> None:
    """spark.ssl.rpc.enabled defaults to false whatever spark.ssl.enabled says."""
    assert generic.rpc.startswith("Spark RPC on the port, not TLS"), generic.rpc
    assert _status(generic, "SPARK-010") == "fail"


def test_the_ui_alone_does_not_read_the_generic_suites(namespaced: Run) -> None:
    """The old rule passed SPARK-036 here (it let spark.ssl.ui.* inherit spark.ssl.*
    unconditionally) while the UI offered the JRE's CBC suites."""
    assert namespaced.endpoint.error is None, namespaced.endpoint.error
    wire_ok = _aead_with_forward_secrecy_only(namespaced.endpoint)
    assert not wire_ok
    assert _status(namespaced, "SPARK-036") == "fail"
    assert _status(namespaced, "SPARK-030") == "pass"


def test_a_pkcs12_type_does_not_convert_a_jks_keystore(namespaced: Run) -> None:
    """The JDK loads the JKS file under keyStoreType=PKCS12 (keystore.type.compat), so the UI
    serves TLS from a keystore that is still JKS: SPARK-037 fails (the old rule passed it)."""
    assert namespaced.endpoint.accepted()
    assert _status(namespaced, "SPARK-037") == "fail"
