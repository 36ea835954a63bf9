"""A hand-built AuditResult covering every status, a waiver, an error and hostile text."""

from __future__ import annotations

from triplock.audit import checklist
from triplock.model import (
    AuditResult,
    Evidence,
    Finding,
    Fix,
    FixAction,
    InputError,
    InputRecord,
    Location,
    RuleMeta,
    Severity,
    Status,
    Waiver,
)
from triplock.rules.registry import all_rules

AUTH = RuleMeta(
    id="TEST-001",
    slug="test-authenticate-off",
    title="Spark RPC authentication is disabled",
    control="spark.authentication",
    severity=Severity.HIGH,
    rationale="Anyone who reaches the driver can submit work.",
    remediation="Set spark.authenticate=true.",
    references=("https://spark.apache.org/docs/latest/security.html",),
)
SECRET = RuleMeta(
    id="TEST-002",
    slug="test-secret-literal",
    title="A secret is written literally",
    control="keys.management",
    severity=Severity.CRITICAL,
    rationale="Literal secrets leak through pod specs and logs.",
    remediation="Mount the secret from a Kubernetes Secret.",
)
LOCAL = RuleMeta(
    id="TEST-003",
    slug="test-local-storage",
    title="Local storage encryption is off",
    control="rest.spark-local",
    severity=Severity.MEDIUM,
    rationale="Shuffle files are written in clear text.",
    remediation="Set spark.io.encryption.enabled=true.",
)


def sample_result(conf: str = "deploy/spark-defaults.conf") -> AuditResult:
    findings = [
        Finding(
            AUTH,
            Status.FAIL,
            "spark.authenticate is false: RPC authentication is off",
            Location(path=conf, line=3),
            Severity.HIGH,
            (Evidence.of("spark.authenticate", "false"),),
            Fix(FixAction.SET, "spark.authenticate", "true", conf),
        ),
        Finding(
            SECRET,
            Status.FAIL,
            "spark.authenticate.secret is written literally <script>alert(1)</script> | *x*",
            Location(path="deploy/submit.sh", line=7, object="spark-submit"),
            Severity.CRITICAL,
            (Evidence.of("spark.authenticate.secret", "hunter2-CANARY-0000"),),
        ),
        Finding(
            LOCAL,
            Status.UNKNOWN,
            "spark.io.encryption.enabled is templated",
            Location(path=conf, line=5),
            Severity.MEDIUM,
            (Evidence.of("spark.io.encryption.enabled", "${ENCRYPT}"),),
        ),
        Finding(
            LOCAL,
            Status.FAIL,
            "spark.io.encryption.enabled is false",
            Location(path="deploy/other.conf", line=2),
            Severity.MEDIUM,
            waiver=Waiver("lab cluster, no data", "inline:deploy/other.conf:1", "2099-12-31"),
        ),
        Finding(
            AUTH,
            Status.PASS,
            "RPC authentication: spark.authenticate=true",
            Location(path="deploy/good.conf", line=1),
            Severity.HIGH,
        ),
    ]
    return AuditResult(
        inputs=[InputRecord(conf, "spark-conf"), InputRecord("deploy/submit.sh", "shell")],
        findings=findings,
        errors=[InputError("deploy/broken.xml", "hadoop-xml: not well-formed\x01 (line 3)")],
        checklist=checklist(findings),
        expired_waivers=[".triplock.yaml:4: waiver of TEST-003 expired 2020-01-01 (old)"],
        unused_waivers=[".triplock.yaml:9: waiver of TEST-009 matched no finding (fixed)"],
        rules=[r.meta for r in all_rules()],
    )
