"""--hadoop-conf: a daemon's /conf over HTTPS judged by the Hadoop rules.

No Hadoop daemon can run on this machine: the server is a local HTTPS server (Python's
http.server with an openssl certificate) replaying a /conf dump written here, in the shape
Hadoop's ConfServlet writes (<source> elements)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import need_command, run_cli
from tests.live.servers import http_server

CANARY = "CANARY-verify-hadoop-9b2"
CONF_DUMP = f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?><configuration>
<property><name>hadoop.security.authentication</name><value>simple</value><final>false</final><source>core-site.xml</source></property>
<property><name>fs.s3a.secret.key</name><value>{CANARY}</value><final>false</final><source>core-site.xml</source></property>
<property><name>dfs.http.policy</name><value>HTTP_ONLY</value><final>false</final><source>hdfs-site.xml</source></property>
</configuration>
"""


def certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = need_command("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_served_conf_is_judged_with_the_url_as_location(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    with http_server(CONF_DUMP.encode(), "text/xml", tls=(cert, key)) as port:
        url = f"https://127.0.0.1:{port}"
        result = run_cli("verify", "-f", "json", "--cacert", str(cert), "--hadoop-conf", url)
    assert result.code == 1, result.err
    assert CANARY not in result.out
    assert result.json()["inputs"] == [{"path": url, "kind": "live-hadoop-conf"}]
    failed = [f for f in result.json()["findings"] if f["status"] == "fail"]
    assert failed and all(f["location"]["url"] == f"{url}/conf" for f in failed)
    assert {f["rule_id"] for f in failed} & {"HADOOP-001", "HADOOP-002"}


def test_certificate_checked_when_a_ca_is_given(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    other, _ = certificate(tmp_path / "other") if (tmp_path / "other").mkdir() is None else (0, 0)
    with http_server(CONF_DUMP.encode(), "text/xml", tls=(cert, key)) as port:
        url = f"https://127.0.0.1:{port}/conf"
        result = run_cli("verify", "-f", "json", "--cacert", str(other), "--hadoop-conf", url)
    assert result.code == 2
    (error,) = result.json()["errors"]
    assert error["path"] == url and "certificate" in error["reason"].lower()


def test_not_a_conf_is_an_error() -> None:
    with http_server(b"<html>hi</html>", "text/html") as port:
        url = f"http://127.0.0.1:{port}"
        result = run_cli("verify", "-f", "json", "--hadoop-conf", url)
    assert result.code == 2
    (error,) = result.json()["errors"]
    assert "not Hadoop configuration XML" in error["reason"]
