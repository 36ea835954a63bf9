"""A configuration that sets a deprecated name is judged by it, never as the default."""

from __future__ import annotations

from tests.helpers import ROOT, findings_of, run_cli

DEPRECATED = ROOT / "tests" / "fixtures" / "hadoop" / "deprecated"


def test_old_permission_switch_is_judged() -> None:
    result = run_cli("audit", str(DEPRECATED), "--format", "json")
    (fail,) = findings_of(result, "HADOOP-011", "fail")
    assert fail["location"]["path"].endswith("hdfs-site.xml")
    assert fail["location"]["line"] == 5
    assert "unset" not in fail["message"]


def test_old_key_provider_name_gives_hdfs_a_key_provider() -> None:
    result = run_cli("audit", str(DEPRECATED), "--format", "json")
    assert not findings_of(result, "KMS-001", "fail")
