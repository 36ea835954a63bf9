"""--etcd against a real etcd (Debian's etcd-server) started here on free loopback ports, with
and without client TLS (certificates from `triplock keys`), holding Secret values written in
both shapes Kubernetes uses: encrypted (`k8s:enc:<provider>:v1:<name>:`) and plain protobuf."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import CliResult, findings_of, need_command, run_cli
from tests.live.conftest import free_port

CANARY = b"CANARY-etcd-secret-value-7e1"
VALUES = {
    "/registry/secrets/spark/auth": b"k8s:enc:kms:v2:vault:" + secrets.token_bytes(64),
    "/registry/secrets/spark/ui": b"k8s:enc:aescbc:v1:key1:" + secrets.token_bytes(64),
    "/registry/secrets/spark/old": b"k8s:enc:kms:v1:vault:" + secrets.token_bytes(64),
    "/registry/secrets/default/token": b"k8s\x00\n\x0c\n\x02v1\x12\x06Secret" + CANARY,
    "/registry/secrets/default/box": b"k8s:enc:secretbox:v1:key1:" + secrets.token_bytes(64),
    "/registry/secrets/kube-system/gcm": b"k8s:enc:aesgcm:v1:key1:" + secrets.token_bytes(64),
    "/registry/configmaps/default/not-a-secret": b"k8s\x00" + CANARY,
}


@dataclass(frozen=True)
class Etcd:
    url: str
    tls: tuple[str, str, str] | None  # client cert, key, CA


def _certs(tmp: Path) -> tuple[Path, Path, Path, Path, Path]:
    ca, certs = tmp / "ca", tmp / "certs"
    for args in (
        ("keys", "ca", "--out", str(ca)),
        ("keys", "cert", "--ca", str(ca), "--out", str(certs), "--name", "etcd",
         "--san", "127.0.0.1", "--usage", "both"),  # its gateway dials etcd as a client
        ("keys", "cert", "--ca", str(ca), "--out", str(certs), "--name", "client",
         "--cn", "triplock", "--usage", "client"),
    ):  # fmt: skip
        result = run_cli(*args)
        assert result.code == 0, result.err
    return (ca / "root.pem", certs / "etcd.pem", certs / "etcd.key",
            certs / "client.pem", certs / "client.key")  # fmt: skip


def _put(url: str, key: str, value: bytes, tls: tuple[str, str, str] | None) -> None:
    import ssl

    context = None
    if tls is not None:
        context = ssl.create_default_context(cafile=tls[2])
        context.load_cert_chain(tls[0], tls[1])
    body = json.dumps(
        {"key": base64.b64encode(key.encode()).decode(), "value": base64.b64encode(value).decode()}
    ).encode()
    request = urllib.request.Request(f"{url}/v3/kv/put", body, method="POST")
    urllib.request.urlopen(request, timeout=30, context=context).close()


@pytest.fixture(scope="module", params=["plain", "tls"])
def etcd(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Etcd]:
    binary = need_command("etcd")
    tmp = tmp_path_factory.mktemp(f"etcd-{request.param}")
    client, peer = free_port(), free_port()
    scheme = "https" if request.param == "tls" else "http"
    url = f"{scheme}://127.0.0.1:{client}"
    args = [binary, "--name", "t", "--data-dir", str(tmp / "data"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"t=http://127.0.0.1:{peer}"]  # fmt: skip
    tls = None
    if request.param == "tls":
        ca, cert, key, client_cert, client_key = _certs(tmp)
        args += ["--cert-file", str(cert), "--key-file", str(key),
                 "--client-cert-auth", "--trusted-ca-file", str(ca)]  # fmt: skip
        tls = (str(client_cert), str(client_key), str(ca))
    log = (tmp / "etcd.log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                for key, value in VALUES.items():
                    _put(url, key, value, tls)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"etcd did not start: {(tmp / 'etcd.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield Etcd(url, tls)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _verify(etcd: Etcd, *extra: str) -> CliResult:
    args = ["verify", "-f", "json", "--etcd", etcd.url, *extra]
    if etcd.tls is not None:
        args += ["--etcd-cert", etcd.tls[0], "--etcd-key", etcd.tls[1], "--etcd-ca", etcd.tls[2]]
    result = run_cli(*args)
    assert result.code in (0, 1), result.err
    assert CANARY.decode() not in result.out
    return result


def test_secrets_by_namespace_and_provider(etcd: Etcd) -> None:
    result = _verify(etcd)
    by_namespace = {f["location"]["object"]: f for f in findings_of(result, "K8S-220")}
    assert set(by_namespace) == {"namespace default", "namespace spark", "namespace kube-system"}
    default = by_namespace["namespace default"]
    assert default["status"] == "fail" and "1 of 2" in default["message"]
    assert default["evidence"][0]["value"] == "1 plaintext, 1 secretbox"
    spark = by_namespace["namespace spark"]
    assert spark["status"] == "pass"
    assert spark["evidence"][0]["value"] == "1 aescbc, 1 kms v1, 1 kms v2"
    assert by_namespace["namespace kube-system"]["status"] == "pass"
    assert result.code == 1


def test_secret_encryption_control_is_assessed(etcd: Etcd) -> None:
    result = _verify(etcd)
    checklist = {c["control"]: c["status"] for c in result.json()["checklist"]}
    assert checklist["rest.k8s-secrets"] == "fail"


def test_wrong_transport_is_an_error(etcd: Etcd) -> None:
    """TLS etcd without a client certificate; plain etcd asked for TLS."""
    if etcd.tls is not None:
        url, extra = etcd.url, ["--etcd-ca", etcd.tls[2]]
    else:
        url, extra = etcd.url.replace("http://", "https://"), []
    result = run_cli("verify", "-f", "json", "--etcd", url, *extra)
    assert result.code == 2
    (error,) = result.json()["errors"]
    assert error["path"] == url
    assert findings_of(result, "K8S-220") == []
