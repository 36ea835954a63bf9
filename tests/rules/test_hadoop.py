"""Hadoop core/HDFS rules: each fails on an insecure fixture and passes on a secure one, plus
the interplay cases (SASL vs dfs.encrypt.data.transfer, privileged ports, HTTPS_ONLY, 3DES)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, write
from tests.helpers.hadoop import (
    INSECURE,
    SECURE,
    WEAK,
    findings,
    fixture_pair_tests,
    only,
    statuses,
    xml,
)
from triplock.model import FixAction, Severity

# An MIT keytab v2 header and one entry's length: enough for the keytab source to claim it.
KEYTAB_BYTES = b"\x05\x02\x00\x00\x00\x2a" + bytes(42)


HADOOP_RULES = [
    "HADOOP-001",
    "HADOOP-002",
    "HADOOP-003",
    "HADOOP-004",
    "HADOOP-005",
    "HADOOP-006",
    "HADOOP-008",
    "HADOOP-011",
    "HADOOP-012",
    "HADOOP-013",
    "HADOOP-014",
    "HADOOP-015",
    "HADOOP-016",
    "HADOOP-017",
    "HADOOP-018",
    "HADOOP-019",
    "HADOOP-021",
    "HADOOP-007",
]


test_rule_fails_on_insecure_fixture, test_rule_passes_on_secure_fixture = fixture_pair_tests(
    HADOOP_RULES, [r for r in HADOOP_RULES if r != "HADOOP-007"]
)


def test_secure_fixture_has_no_hadoop_failure() -> None:
    bad = [(f.rule.id, f.message) for f in findings(SECURE) if f.status.value == "fail"]
    assert bad == []


def test_finding_points_at_the_offending_line() -> None:
    f = only(INSECURE, "HADOOP-001")
    assert f.location.path is not None and f.location.path.endswith("insecure/core-site.xml")
    lines = (INSECURE / "core-site.xml").read_text().splitlines()
    assert "simple" in lines[(f.location.line or 0) - 1]
    assert f.fix is not None and f.fix.value == "kerberos"


def test_unset_key_takes_hadoops_default(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.defaultFS", "hdfs://nn:8020")))
    f = only(tmp_path, "HADOOP-001")
    assert f.status.value == "fail" and "default" in f.message
    assert f.location.path == str(tmp_path / "core-site.xml")


def test_final_in_an_earlier_file_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(("hadoop.rpc.protection", "privacy"), final=("hadoop.rpc.protection",)),
    )
    write(tmp_path, "hdfs-site.xml", xml(("hadoop.rpc.protection", "authentication")))
    assert statuses(tmp_path, "HADOOP-003") == ["pass"]


def test_override_without_final_wins(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("hadoop.rpc.protection", "privacy")))
    write(tmp_path, "hdfs-site.xml", xml(("hadoop.rpc.protection", "authentication")))
    f = only(tmp_path, "HADOOP-003")
    assert f.status.value == "fail" and f.location.path == str(tmp_path / "hdfs-site.xml")


def test_unresolved_variable_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("hadoop.security.authentication", "${auth.kind}")))
    assert statuses(tmp_path, "HADOOP-001") == ["unknown"]


def test_substituted_value_is_judged(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(("auth.kind", "kerberos"), ("hadoop.security.authentication", "${auth.kind}")),
    )
    assert statuses(tmp_path, "HADOOP-001") == ["pass"]


def test_sasl_privacy_passes_with_kerberos_and_unprivileged_port(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("hadoop.security.authentication", "kerberos")))
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(("dfs.data.transfer.protection", "privacy"), ("dfs.http.policy", "HTTPS_ONLY")),
    )
    assert statuses(tmp_path, "HADOOP-006") == ["pass"]
    assert statuses(tmp_path, "HADOOP-007") == ["pass"]


def test_sasl_privacy_is_skipped_on_a_privileged_port(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("hadoop.security.authentication", "kerberos")))
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(
            ("dfs.data.transfer.protection", "privacy"),
            ("dfs.datanode.address", "0.0.0.0:1004"),
            ("dfs.http.policy", "HTTPS_ONLY"),
        ),
    )
    f = only(tmp_path, "HADOOP-006")
    assert f.status.value == "fail" and "privileged" in f.message
    assert f.location.object == "dfs.datanode.address"


def test_sasl_privacy_without_kerberos_fails(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(("dfs.data.transfer.protection", "privacy"), ("dfs.http.policy", "HTTPS_ONLY")),
    )
    f = only(tmp_path, "HADOOP-006")
    assert f.status.value == "fail" and "Kerberos" in f.message


def test_encrypt_data_transfer_supersedes_protection(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(
            ("dfs.data.transfer.protection", "authentication"),
            ("dfs.encrypt.data.transfer", "true"),
        ),
    )
    assert statuses(tmp_path, "HADOOP-006") == ["pass"]
    assert statuses(tmp_path, "HADOOP-007") == []


def test_sasl_with_privileged_http_port_is_accepted(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(
            ("dfs.data.transfer.protection", "privacy"),
            ("dfs.datanode.http.address", "0.0.0.0:1006"),
        ),
    )
    assert statuses(tmp_path, "HADOOP-007") == ["pass"]


def test_rc4_block_encryption_is_high() -> None:
    f = only(WEAK, "HADOOP-009")
    assert f.status.value == "fail" and f.severity is Severity.HIGH and "rc4" in f.message


def test_3des_when_no_aes_suite(tmp_path: Path) -> None:
    write(tmp_path, "hdfs-site.xml", xml(("dfs.encrypt.data.transfer", "true")))
    f = only(tmp_path, "HADOOP-009")
    assert f.status.value == "fail" and "3des" in f.message and f.severity is Severity.MEDIUM


def test_sasl_privacy_without_an_aes_suite_is_3des_or_rc4(tmp_path: Path) -> None:
    write(tmp_path, "hdfs-site.xml", xml(("dfs.data.transfer.protection", "privacy")))
    f = only(tmp_path, "HADOOP-009")
    assert f.status.value == "fail" and "DIGEST-MD5's 3des or rc4" in f.message
    assert f.fix is not None and f.fix.value == "AES/CTR/NoPadding"
    write(tmp_path, "hdfs-site.xml", xml(("dfs.data.transfer.protection", "authentication")))
    assert statuses(tmp_path, "HADOOP-009") == []


def test_aes_with_128_bit_keys_is_low(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hdfs-site.xml",
        xml(
            ("dfs.encrypt.data.transfer", "true"),
            ("dfs.encrypt.data.transfer.cipher.suites", "AES/CTR/NoPadding"),
        ),
    )
    f = only(tmp_path, "HADOOP-009")
    assert f.status.value == "fail" and f.severity is Severity.LOW


def test_trusted_channel_resolver() -> None:
    assert statuses(WEAK, "HADOOP-010") == ["fail"]
    assert statuses(SECURE, "HADOOP-010") == ["pass"]


def test_http_only_is_high_http_and_https_medium() -> None:
    assert only(WEAK, "HADOOP-008").severity is Severity.HIGH
    assert only(INSECURE, "HADOOP-008").severity is Severity.MEDIUM


_AUTH_FILTER = (
    "hadoop.http.filter.initializers",
    "org.apache.hadoop.security.AuthenticationFilterInitializer",
)


def test_web_simple_auth_with_filter(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(
            _AUTH_FILTER,
            ("hadoop.http.authentication.simple.anonymous.allowed", "false"),
        ),
    )
    f = only(tmp_path, "HADOOP-014")
    assert f.status.value == "fail" and f.severity is Severity.MEDIUM
    # Kerberos for the web UIs needs the HTTP principal and keytab first: a manual step.
    assert f.fix is not None and f.fix.action is FixAction.MANUAL
    assert f.fix.target.startswith("set hadoop.http.authentication.kerberos.principal and ")


def test_web_kerberos_is_set_once_its_principal_and_keytab_are(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(
            _AUTH_FILTER,
            ("hadoop.http.authentication.kerberos.principal", "HTTP/_HOST@EXAMPLE.COM"),
            ("hadoop.http.authentication.kerberos.keytab", "/etc/security/spnego.keytab"),
        ),
    )
    f = only(tmp_path, "HADOOP-014")
    assert f.fix is not None and (f.fix.action, f.fix.value) == (FixAction.SET, "kerberos")


def test_literal_secret_is_masked_everywhere() -> None:
    f = only(INSECURE, "HADOOP-019")
    assert [e.shown for e in f.evidence] == ["****"]
    assert "ldap-bind-Passw0rd" not in f.message


def _keytab_tree(tmp_path: Path, mode: int) -> Path:
    keytab = tmp_path / "etc" / "security" / "keytabs" / "nn.service.keytab"
    keytab.parent.mkdir(parents=True)
    keytab.write_bytes(KEYTAB_BYTES)
    keytab.chmod(mode)
    write(
        tmp_path,
        "conf/hdfs-site.xml",
        xml(
            ("dfs.namenode.keytab.file", "/etc/security/keytabs/nn.service.keytab"),
            ("dfs.web.authentication.kerberos.keytab", "/etc/security/keytabs/absent.keytab"),
        ),
    )
    return keytab


def test_group_readable_keytab_fails(tmp_path: Path) -> None:
    keytab = _keytab_tree(tmp_path, 0o640)
    f = only(tmp_path, "HADOOP-020")
    assert f.status.value == "fail" and "0640" in f.message
    assert f.fix is not None and f.fix.target.endswith("nn.service.keytab")
    assert f.location.path == str(tmp_path / "conf" / "hdfs-site.xml")
    assert keytab.exists()


def test_private_keytab_passes(tmp_path: Path) -> None:
    _keytab_tree(tmp_path, 0o600)
    assert statuses(tmp_path, "HADOOP-020") == ["pass"]


def test_keytab_outside_the_tree_is_not_judged(tmp_path: Path) -> None:
    outside = tmp_path / "outside.keytab"
    outside.write_bytes(KEYTAB_BYTES)
    outside.chmod(0o644)
    write(tmp_path, "conf/hdfs-site.xml", xml(("dfs.namenode.keytab.file", str(outside))))
    assert statuses(tmp_path / "conf", "HADOOP-020") == []


def test_zookeeper_acl_only_judged_with_ha(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.defaultFS", "hdfs://nn:8020")))
    assert statuses(tmp_path, "HADOOP-021") == []


def test_spark_hadoop_overlay_is_judged_on_what_it_sets(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master k8s://https://kube:6443\nspark.hadoop.hadoop.rpc.protection authentication\n",
    )
    f = only(tmp_path, "HADOOP-003")
    assert f.status.value == "fail"
    assert f.location.path == str(tmp_path / "spark-defaults.conf") and f.location.line == 2
    assert statuses(tmp_path, "HADOOP-001") == []  # not set: the cluster's files decide


def test_keytab_shipped_next_to_the_configuration(tmp_path: Path) -> None:
    keytab = tmp_path / "conf" / "hdfs.keytab"
    keytab.parent.mkdir()
    keytab.write_bytes(KEYTAB_BYTES)
    keytab.chmod(0o644)
    write(
        tmp_path,
        "conf/hdfs-site.xml",
        xml(("dfs.namenode.keytab.file", "/etc/hadoop/conf/hdfs.keytab")),
    )
    f = only(tmp_path, "HADOOP-020")
    assert f.status.value == "fail" and f.fix is not None
    assert f.fix.target == str(keytab)


def test_served_conf_dump_is_judged() -> None:
    served = ROOT / "tests" / "fixtures" / "canary" / "hadoop" / "served"
    assert statuses(served, "HADOOP-001") == ["pass"]
    assert statuses(served, "HADOOP-008") == ["fail"]
    assert statuses(served, "HADOOP-003") == ["fail"]  # absent: the default, authentication


def _ssl_server(tmp_path: Path, mode: int, password: str = "s3cr3t-pw") -> Path:
    return write(
        tmp_path, "ssl-server.xml", xml(("ssl.server.keystore.password", password)), mode=mode
    )


def test_world_readable_ssl_conf_with_password_fails(tmp_path: Path) -> None:
    path = _ssl_server(tmp_path, 0o644)
    f = only(tmp_path, "HADOOP-022")
    assert f.status.value == "fail" and f.severity is Severity.HIGH
    assert f.fix is not None and f.fix.target == str(path)


def test_group_readable_ssl_conf_is_medium(tmp_path: Path) -> None:
    _ssl_server(tmp_path, 0o640)
    assert only(tmp_path, "HADOOP-022").severity is Severity.MEDIUM


def test_private_ssl_conf_passes(tmp_path: Path) -> None:
    _ssl_server(tmp_path, 0o600)
    assert statuses(tmp_path, "HADOOP-022") == ["pass"]


def test_ssl_conf_without_passwords_is_not_judged(tmp_path: Path) -> None:
    write(tmp_path, "ssl-server.xml", xml(("ssl.server.keystore.location", "/k.p12")), mode=0o644)
    assert statuses(tmp_path, "HADOOP-022") == []


def test_default_sensitive_keys_redact_common_secrets() -> None:
    assert statuses(INSECURE, "HADOOP-023") == ["pass"]


def test_narrowed_sensitive_keys_fail(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(
            ("hadoop.security.sensitive-config-keys", "secret$"),
            ("hadoop.security.group.mapping.ldap.bind.password", "pw-value"),
            ("fs.oss.accessKeySecret", "oss-value"),
        ),
    )
    f = only(tmp_path, "HADOOP-023")
    assert f.status.value == "fail"
    assert "ldap.bind.password" in f.message and "accessKeySecret" in f.message
