"""A hand-built AuditResult covering every status, a waiver, an error and hostile text; and
findings with every kind of field a format must encode, each verdict shared by several."""

from __future__ import annotations

from dataclasses import replace

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
    Verdict,
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


HOSTILE = 'quote " backslash \\ nul \x00 bell \x07 esc \x1b[31m del \x7f c1 \x85 tab \t nl \n'
UNICODE = "näïve — “quoted” 日本語 \u2028 \U0001f512"


def verdicts() -> list[Verdict]:
    """A verdict for each kind of field a finding can hold (what formats must encode)."""
    here = Fix(FixAction.SET, "spark.authenticate", "true")
    return [
        Verdict(AUTH, Status.FAIL, "spark.authenticate is false", Severity.HIGH),
        # a fix aimed at each finding's own file: its path is the finding's
        Verdict(AUTH, Status.FAIL, "off", Severity.HIGH, fix=here, fix_here=True),
        # a fix aimed at another file, with no value
        Verdict(
            AUTH,
            Status.FAIL,
            "off",
            Severity.HIGH,
            fix=Fix(FixAction.UNSET, "spark.authenticate", None, "deploy/other.conf"),
        ),
        # a fix with no path at all
        Verdict(LOCAL, Status.FAIL, "off", Severity.LOW, fix=Fix(FixAction.MANUAL, UNICODE)),
        Verdict(
            SECRET,
            Status.FAIL,
            f"hostile {HOSTILE} and {UNICODE}",
            Severity.CRITICAL,
            (
                Evidence.of("spark.authenticate.secret", "hunter2-CANARY-0000"),
                Evidence.of("key.only", None),
                Evidence.of(None, f"value {UNICODE}"),
                Evidence.of(f"key {HOSTILE}", HOSTILE),
            ),
        ),
        Verdict(
            LOCAL,
            Status.FAIL,
            "waived",
            Severity.MEDIUM,
            waiver=Waiver(f"reason {HOSTILE} {UNICODE}", "inline:deploy/a.conf:1", "2099-12-31"),
        ),
        Verdict(
            LOCAL,
            Status.UNKNOWN,
            "waived for ever",
            Severity.MEDIUM,
            fix=here,
            fix_here=True,
            waiver=Waiver("lab", ".triplock.yaml:3"),
        ),
        Verdict(AUTH, Status.FAIL, "known", Severity.HIGH, baselined=True, fix=here, fix_here=True),
        Verdict(AUTH, Status.PASS, "on", Severity.HIGH, cause=f"cause {HOSTILE} {UNICODE}"),
        Verdict(SECRET, Status.UNKNOWN, "", Severity.INFO, cause=""),
    ]


def locations() -> list[Location]:
    return [
        Location(path="deploy/spark-defaults.conf", line=3),
        Location(path=f"deploy/{UNICODE}.conf", line=1, object=f"Pod/{HOSTILE}"),
        Location(path=f"deploy/{HOSTILE}.conf"),
        Location(url="https://spark.example:4040/api/v1", object="driver"),
        Location(),
        Location(path="deploy/spark-defaults.conf", line=0, object=""),
    ]


def every_kind_of_finding() -> list[Finding]:
    """Every verdict at every location: each verdict is shared by several findings."""
    return [Finding.at(where, v) for v in verdicts() for where in locations()]


def result_with(findings: list[Finding]) -> AuditResult:
    """The sample result with these findings instead."""
    return replace(sample_result(), findings=findings, checklist=checklist(findings))
