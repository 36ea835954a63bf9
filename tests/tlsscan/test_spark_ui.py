"""A real Spark UI over TLS (pyspark, spark.ssl.ui.* with a PKCS#12 keystore made here),
scanned by triplock. Spark runs in its own process so that its SSL settings cannot clash with
a SparkSession other tests share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from tests.helpers.spark_driver import spark_driver
from tests.tlsscan.farm import Pki, free_port, make_pki, wait_listening
from triplock.facts.certs import CertInfo
from triplock.facts.tls import Endpoint
from triplock.tlsscan import suites

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _keystore(pki: Pki, path: Path, password: str) -> None:
    data = pkcs12.serialize_key_and_certificates(
        b"spark-ui",
        pki.leaf_key,
        pki.leaf,
        [pki.intermediate],
        BestAvailableEncryption(password.encode()),
    )
    path.write_bytes(data)
    path.chmod(0o600)


@pytest.fixture(scope="module")
def spark_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Pki]]:
    directory = tmp_path_factory.mktemp("spark-ui")
    pki = make_pki(directory / "pki")
    password = os.urandom(12).hex()
    keystore = directory / "ui.p12"
    _keystore(pki, keystore, password)
    port, ssl_port = free_port(), free_port()
    conf = {
        "spark.ui.enabled": "true",
        "spark.ui.port": str(port),
        "spark.ssl.ui.enabled": "true",
        "spark.ssl.ui.port": str(ssl_port),
        "spark.ssl.ui.keyStore": str(keystore),
        "spark.ssl.ui.keyStorePassword": password,
        "spark.ssl.ui.keyPassword": password,
        "spark.ssl.ui.keyStoreType": "PKCS12",
    }
    with spark_driver(conf) as process:
        wait_listening(ssl_port, process, timeout=60)
        yield ssl_port, pki


@pytest.fixture(scope="module")
def spark_endpoint(spark_ui: tuple[int, Pki]) -> Endpoint:
    from triplock.tlsscan.connector import Limits, parse_target
    from triplock.tlsscan.scanner import scan

    (endpoint,) = scan([parse_target(f"127.0.0.1:{spark_ui[0]}")], Limits(timeout=10))
    return endpoint


def test_spark_ui_speaks_modern_tls(spark_endpoint: Endpoint) -> None:
    ep = spark_endpoint
    assert ep.error is None, ep.error
    assert not ep.protocols["SSLv3"] and not ep.protocols["TLSv1.0"]
    assert ep.protocols["TLSv1.2"] or ep.protocols["TLSv1.3"]
    assert ep.accepted()
    assert all(s.forward_secrecy for s in map(suites.by_name, ep.accepted()) if s)
    assert ep.server_preference["TLSv1.2"] is True  # Jetty picks the suite
    assert ep.http is True


def test_spark_ui_serves_the_keystore_chain(
    spark_endpoint: Endpoint, spark_ui: tuple[int, Pki]
) -> None:
    pki = spark_ui[1]
    chain = next(iter(spark_endpoint.certificate_chains.values()))
    certs = [CertInfo.from_der(d) for d in chain]
    assert certs[0].subject == pki.leaf.subject.rfc4514_string()
    assert len(certs) == 2 and certs[1].issued(certs[0])
