"""The committed certificate examples say what docs/certs.md says they do."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import EXAMPLES, findings_of, run_cli

INSECURE = EXAMPLES / "spark-on-k8s" / "insecure" / "certs"


def test_insecure_example_fails_the_bigdl_defects() -> None:
    os.chmod(INSECURE / "server.key", 0o644)  # as git checks it out under umask 022
    result = run_cli("audit", str(INSECURE), "--format", "json")
    assert result.json()["errors"] == []
    failed = {f["rule_id"] for f in result.json()["findings"] if f["status"] == "fail"}
    assert {"CERT-001", "CERT-005", "CERT-007", "CERT-010", "CERT-013"} <= failed
    [lifetime, *_] = findings_of(result, "CERT-005", "fail")
    assert "9999 days" in lifetime["message"]
    assert "BEGIN" not in result.out


def test_insecure_conf_password_is_weak_and_opens_the_committed_keystore() -> None:
    result = run_cli("audit", str(INSECURE.parent), "--format", "json")
    weak = {Path(f["location"]["path"]).name for f in findings_of(result, "CERT-012", "fail")}
    assert "spark-defaults.conf" in weak  # password123, literal
    [opened] = findings_of(result, "CERT-013", "fail")
    assert opened["location"]["path"].endswith("certs/keystore.jks")
    assert "password123" not in result.out


def test_hardened_example_commits_no_key_material() -> None:
    hardened = EXAMPLES / "spark-on-k8s" / "hardened"
    suffixes = (".key", ".jks", ".jceks", ".p12", ".pfx", ".keystore")
    assert not [p for p in hardened.rglob("*") if p.name.endswith(suffixes)]
