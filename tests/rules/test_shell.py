from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings_of, run_cli, write


def audit_script(tmp_path: Path, text: str) -> object:
    write(tmp_path, "run.sh", "#!/bin/bash\n" + text)
    return run_cli("audit", str(tmp_path), "--format", "json")


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("curl -k https://kms:9600/kms/v1/keys", "fail"),
        ("curl -sSk https://kms:9600/", "fail"),
        ("wget --no-check-certificate https://x/", "fail"),
        ("kubectl --insecure-skip-tls-verify get pods", "fail"),
        ("curl --cacert ca.pem https://kms:9600/", "pass"),
    ],
)
def test_tls_verification(tmp_path: Path, line: str, status: str) -> None:
    [f] = findings_of(audit_script(tmp_path, line + "\n"), "SHELL-001")  # type: ignore[arg-type]
    assert f["status"] == status
    assert f["location"]["line"] == 2
    assert f["control"] == "transit.tls"


def test_secret_under_xtrace_fails_and_is_redacted(tmp_path: Path) -> None:
    result = audit_script(
        tmp_path,
        "set -x\nspark-submit --conf spark.authenticate.secret=CANARY-x1 --conf spark.a=$PW app\n"
        "set +x\nspark-submit --conf spark.authenticate.secret=$SECRET app\n",
    )
    found = findings_of(result, "SHELL-002")  # type: ignore[arg-type]
    assert [(f["status"], f["location"]["line"]) for f in found] == [("fail", 3), ("pass", 5)]
    assert "CANARY" not in result.out  # type: ignore[attr-defined]


def test_secret_echoed(tmp_path: Path) -> None:
    result = audit_script(tmp_path, 'echo "token is $API_TOKEN"\necho hello\n')
    [f] = findings_of(result, "SHELL-003")  # type: ignore[arg-type]
    assert f["status"] == "fail" and f["location"]["line"] == 2


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("keytool -list -keystore ks.p12 -storepass changeit", True),
        ("openssl pkcs12 -export -in c.pem -passout pass:CANARY-p -out k.p12", True),
        ("curl -u admin:CANARY-pw https://x/", True),
        ("keytool -list -keystore ks.p12 -storepass $STOREPASS", False),
        ("openssl pkcs12 -export -in c.pem -passout file:pw.txt -out k.p12", False),
    ],
)
def test_literal_password_arguments(tmp_path: Path, line: str, fails: bool) -> None:
    result = audit_script(tmp_path, line + "\n")
    found = findings_of(result, "SHELL-004", "fail")  # type: ignore[arg-type]
    assert bool(found) is fails
    assert "CANARY" not in result.out  # type: ignore[attr-defined]
