"""--live against a real Spark application (conftest.py): its properties from the REST API are
judged by the file rules, redacted values are "set, value hidden", and no secret is printed."""

from __future__ import annotations

import pytest

from tests.helpers import findings_of, run_cli
from tests.live.conftest import CANARY, Application

FORMATS = ("json", "table", "sarif", "markdown", "html", "junit")


@pytest.mark.parametrize("fmt", FORMATS)
def test_live_config_never_prints_the_secret(application: Application, fmt: str) -> None:
    result = run_cli("verify", "--timeout", "30", "-f", fmt, "--live",
                     f"https://127.0.0.1:{application.https}")  # fmt: skip
    assert result.code in (0, 1), result.err
    assert CANARY not in result.out and CANARY not in result.err
    assert "/environment" in result.out  # findings point at the live environment


def test_live_config_is_judged_like_a_file(application: Application) -> None:
    base = f"https://127.0.0.1:{application.https}"
    result = run_cli("verify", "--timeout", "30", "-f", "json", "--live", base)
    assert result.code == 1, result.err
    (acl,) = findings_of(result, "SPARK-042", "fail")  # ACLs on, no filter
    assert acl["location"]["url"].startswith(f"{base}/api/v1/applications/")
    assert acl["location"]["url"].endswith("/environment")
    assert acl["location"]["object"] == "spark.acls.enable"
    assert findings_of(result, "SPARK-030", "pass")  # spark.ssl.ui.enabled=true
    # Spark redacts the secret: set, value hidden -> never judged as a value, never a failure.
    secret = findings_of(result, "SPARK-002")
    assert secret and all(f["status"] != "fail" for f in secret)
    (hadoop,) = [
        f for f in result.json()["findings"] if f["evidence"] and "fs.s3a.secret.key" in str(f)
    ][:1]
    assert hadoop["location"]["url"].startswith(base)
    assert result.json()["inputs"] == [{"path": base, "kind": "live-spark"}]


def test_application_ui_without_filter_is_open_over_tls(application: Application) -> None:
    result = run_cli("verify", "--timeout", "30", "-f", "json",
                     f"127.0.0.1:{application.https}")  # fmt: skip
    paths = {f["location"]["url"].rsplit(str(application.https), 1)[1]
             for f in findings_of(result, "SPARK-080", "fail")}  # fmt: skip
    assert {"/api/v1/applications", "/environment/"} <= paths
    assert {f["status"] for f in findings_of(result, "SPARK-084")} == {"pass"}  # HSTS sent
    assert {f["status"] for f in findings_of(result, "SPARK-083")} == {"pass"}


def test_application_plain_port_redirects(application: Application) -> None:
    result = run_cli("verify", "--timeout", "30", "-f", "json", f"127.0.0.1:{application.ui}")
    (finding,) = findings_of(result, "SPARK-083")
    assert finding["status"] == "pass" and "redirects" in finding["message"]
