"""triplock's own certificate and keystore rules (CERT-*) judge what `triplock keys` generates:
no failure, and the checks that can pass do pass."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import need, run_cli
from tests.helpers.keys import Pki
from triplock.rules.registry import all_rules


def test_cert_rules_report_no_fail_on_generated_material(pki: Pki, tmp_path: Path) -> None:
    need(
        any(r.meta.id.startswith("CERT-") for r in all_rules()),
        "the certificate and keystore rules (CERT-*, src/triplock/rules/certs.py)",
    )
    passwords = tmp_path / "passwords"
    passwords.write_text(
        "\n".join((pki.certs / n).read_text() for n in ("server.p12.pass", "truststore.p12.pass"))
    )
    result = run_cli(
        "audit", str(pki.root), "--format", "json", "--keystore-password-file", str(passwords)
    )
    assert result.code in (0, 1), result.err
    report = result.json()
    assert not report["errors"]
    cert = [f for f in report["findings"] if f["rule_id"].startswith("CERT-")]
    failures = [
        (f["rule_id"], f["location"]["path"], f["message"]) for f in cert if f["status"] == "fail"
    ]
    assert failures == []
    unknown = [
        (f["rule_id"], f["location"]["path"], f["message"])
        for f in cert
        if f["status"] == "unknown"
    ]
    assert unknown == []
    judged = {Path(f["location"]["path"]).name for f in cert if f["status"] == "pass"}
    assert {"server.pem", "server.key", "server.p12", "truststore.p12", "root.key"} <= judged
    for password_file in ("server.p12.pass", "truststore.p12.pass"):
        assert (pki.certs / password_file).read_text() not in result.out
