"""KMS rules: key provider, KMS authentication and TLS, ACLs, key ACLs, blacklist, proxy users."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write
from tests.helpers.hadoop import INSECURE, WEAK, findings, fixture_pair_tests, only, statuses, xml
from triplock.model import Severity

KMS_RULES = ["KMS-002", "KMS-003", "KMS-004", "KMS-005", "KMS-006", "KMS-007", "KMS-008"]


test_rule_fails_on_insecure_fixture, test_rule_passes_on_secure_fixture = fixture_pair_tests(
    KMS_RULES, ["KMS-001", *KMS_RULES]
)


def test_no_key_provider_fails() -> None:
    assert statuses(WEAK, "KMS-001") == ["fail"]


def test_old_provider_key_counts(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(("dfs.encryption.key.provider.uri", "kms://https@kms:9600/kms")),
    )
    assert statuses(tmp_path, "KMS-001") == ["pass"]
    assert statuses(tmp_path, "KMS-002") == ["pass"]


def test_missing_acl_defaults_to_everyone() -> None:
    missing = [f for f in findings(INSECURE, "KMS-005") if "GET_KEYS" in f.message]
    assert len(missing) == 1 and missing[0].status.value == "fail"
    assert missing[0].severity is Severity.MEDIUM


def test_decrypt_wildcard_key_acl_is_high() -> None:
    decrypt = [f for f in findings(INSECURE, "KMS-006") if "DECRYPT_EEK" in f.message]
    assert decrypt and all(f.severity is Severity.HIGH for f in decrypt)


def test_hdfs_in_blacklist_with_groups(tmp_path: Path) -> None:
    write(tmp_path, "kms-acls.xml", xml(("hadoop.kms.blacklist.DECRYPT_EEK", "hdfs,yarn admins")))
    assert statuses(tmp_path, "KMS-007") == ["pass"]
    write(tmp_path, "kms-acls.xml", xml(("hadoop.kms.blacklist.DECRYPT_EEK", "yarn hdfs")))
    # "hdfs" here is a group, not the hdfs user
    assert statuses(tmp_path, "KMS-007") == ["fail"]


def test_kms_site_alone_is_judged_with_defaults(tmp_path: Path) -> None:
    write(tmp_path, "kms-site.xml", xml(("hadoop.kms.key.provider.uri", "jceks://file@/k.jks")))
    f = only(tmp_path, "KMS-004")
    assert f.status.value == "fail" and "default" in f.message
    assert statuses(tmp_path, "HADOOP-001") == []  # no core-site.xml or hdfs-site.xml here
