"""Spark rules of rules/spark_secrets.py (literal secrets, redaction)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli, write
from tests.helpers.spark_rules import (
    AZURE_KEY,
    CONF,
    JWS_KEY,
    K8S,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.inventory import Setting
from triplock.model import Location, Status
from triplock.redact import MASK

CASES: dict[str, Case] = {
    "006-fail-userinfo": (
        "SPARK-006",
        {"spark.hadoop.javax.jdo.option.ConnectionURL": "jdbc:mysql://hive:Sup3rS3cret@db:3306/m"},
        Status.FAIL,
        "spark.hadoop.javax.jdo.option.ConnectionURL",
        None,
    ),
    "006-fail-query": (
        "SPARK-006",
        {"spark.sql.catalog.pg.url": "jdbc:postgresql://db:5432/x?user=a&password=Sup3rS3cret"},
        Status.FAIL,
        "spark.sql.catalog.pg.url",
        None,
    ),
    "006-pass": (
        "SPARK-006",
        {"spark.sql.catalog.pg.url": "jdbc:postgresql://db:5432/x?user=a&password=${PG_PW}"},
        Status.PASS,
        None,
        None,
    ),
    "004-fail-s3-catalog": (
        "SPARK-004",
        {"spark.sql.catalog.lake.s3.secret-access-key": "wJalrXUtnFEMI/K7MDENG"},
        Status.FAIL,
        "spark.sql.catalog.lake.s3.secret-access-key",
        None,
    ),
    "004-pass-s3a-left-to-s3-002": (
        "SPARK-004",
        {"spark.hadoop.fs.s3a.secret.key": "wJalrXUtnFEMI/K7MDENG"},
        Status.PASS,
        None,
        None,
    ),
    "004-fail-jws": (
        "SPARK-004",
        {JWS_KEY: "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"},
        Status.FAIL,
        JWS_KEY,
        None,
    ),
    "004-fail-by-value": (
        "SPARK-004",
        {"spark.hadoop.fs.s3a.access.key.id": "AKIAIOSFODNN7EXAMPLE"},
        Status.FAIL,
        "spark.hadoop.fs.s3a.access.key.id",
        None,
    ),
    "004-pass": (
        "SPARK-004",
        {
            "spark.authenticate.secret.file": "/mnt/s",
            "spark.ui.filters": "org.apache.spark.ui.JWSFilter",
            "spark.ssl.enabledAlgorithms": "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256",
            "spark.io.encryption.keySizeBits": "256",
        },
        Status.PASS,
        None,
        None,
    ),
    "004-fail-numeric": (
        "SPARK-004",
        {"spark.hadoop.javax.jdo.option.ConnectionPassword": "123456"},
        Status.FAIL,
        "spark.hadoop.javax.jdo.option.ConnectionPassword",
        None,
    ),
    "005-fail": (
        "SPARK-005",
        {**K8S, "spark.kubernetes.authenticate.submission.oauthToken": "tok-abc"},
        Status.FAIL,
        "spark.kubernetes.authenticate.submission.oauthToken",
        None,
    ),
    "005-pass": (
        "SPARK-005",
        {**K8S, "spark.kubernetes.authenticate.submission.oauthTokenFile": "/t"},
        Status.PASS,
        None,
        None,
    ),
    "050-fail": (
        "SPARK-050",
        {AZURE_KEY: "q3N1Yk8vZ2h0K0xNcFd6RXJ0eVU5aW9QbEtqSGdGZERzQWxaeENWYm5NMTIzNDU2Nzg5MGFiY2Q="},
        Status.FAIL,
        AZURE_KEY,
        None,
    ),
    "050-fail-custom-regex": (
        "SPARK-050",
        {"spark.redaction.regex": "(?i)password", "spark.hadoop.fs.s3a.secret.key": "abc-def-ghi"},
        Status.FAIL,
        "spark.hadoop.fs.s3a.secret.key",
        None,
    ),
    "050-pass": (
        "SPARK-050",
        {"spark.hadoop.fs.s3a.secret.key": "abc-def-ghi"},
        Status.PASS,
        None,
        None,
    ),
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests(
    "spark_secrets", CASES
)


AUTH_KEY = "spark.authenticate.secret"


def test_shadowed_auth_secret_is_still_reported() -> None:
    app = make_app({AUTH_KEY: "Fixture-Only-cli"}, exposed=frozenset({AUTH_KEY}))
    app.shadowed = (
        Setting.at(AUTH_KEY, "Fixture-Only-file", Location(path="spark-defaults.conf", line=7)),
    )
    outcomes = check("SPARK-002", app)
    assert [(o.status, o.location.path, o.location.line) for o in outcomes] == [
        (Status.FAIL, CONF, 1),
        (Status.FAIL, "spark-defaults.conf", 7),
    ]
    assert [o.severity.value if o.severity else None for o in outcomes] == ["critical", "high"]


# Written in spark-defaults.conf, then overridden on the spark-submit command line: the
# overridden values are no longer effective but still readable in the file.
OVERRIDDEN = {
    "SPARK-002": AUTH_KEY,
    "SPARK-004": JWS_KEY,
    "SPARK-005": "spark.kubernetes.authenticate.submission.oauthToken",
    "SPARK-038": "spark.ssl.keyStorePassword",
    "SPARK-075": "spark.kubernetes.driverEnv.DB_PASSWORD",
    "S3-002": "spark.hadoop.fs.s3a.secret.key",
}


def test_secret_overridden_on_the_command_line_is_reported_in_both_places(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master k8s://https://k8s:443\nspark.ssl.enabled true\n"
        + "".join(f"{key} Fixture-Only-file-{n}\n" for n, key in enumerate(OVERRIDDEN.values())),
    )
    write(
        tmp_path,
        "submit.sh",
        "#!/bin/bash\nspark-submit \\\n"
        + "".join(
            f"  --conf {key}=Fixture-Only-cli-{n} \\\n" for n, key in enumerate(OVERRIDDEN.values())
        )
        + "  local:///app.py\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.json()["errors"] == []
    for n, rule_id in enumerate(OVERRIDDEN):
        found = {
            (Path(f["location"]["path"]).name, f["location"]["line"], f["severity"])
            for f in findings_of(result, rule_id, "fail")
        }
        expected = {("spark-defaults.conf", n + 3, "high"), ("submit.sh", n + 3, "critical")}
        assert found == expected, rule_id
        evidence = [e for f in findings_of(result, rule_id, "fail") for e in f["evidence"]]
        assert evidence and all(e["value"] == MASK for e in evidence), rule_id
    assert "Fixture-Only" not in result.out


def test_spark_hadoop_secret_is_reported_once_by_the_hadoop_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        "submit.sh",
        "#!/bin/bash\nspark-submit --master k8s://https://k8s:443 \\\n"
        "  --conf spark.hadoop.fs.s3a.secret.key=Fixture-Only-s3a \\\n"
        "  --conf spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net=Fixture-Only-az \\\n"
        "  --conf spark.hadoop.javax.jdo.option.ConnectionPassword=Fixture-Only-hive \\\n"
        "  local:///app.py\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    reported = sorted(
        (f["location"]["line"], f["rule_id"], f["severity"])
        for rule_id in ("SPARK-004", "S3-002", "HADOOP-019")
        for f in findings_of(result, rule_id, "fail")
    )
    assert reported == [
        (3, "S3-002", "critical"),
        (4, "HADOOP-019", "critical"),
        (5, "SPARK-004", "critical"),  # a Hive setting the Hadoop rules do not judge
    ]
    assert "Fixture-Only" not in result.out


def test_spark_hadoop_secret_from_an_unknown_variable_stays_with_spark_004() -> None:
    key = "spark.hadoop.fs.s3a.secret.key"
    [o] = check("SPARK-004", make_app({key: "$S3_SECRET"}, exposed=frozenset({key})))
    assert o.status is Status.FAIL and o.severity is not None and o.severity.value == "critical"
