"""What the Spark rule tests (test_spark_*.py) share: SparkApp facts built directly, one case
format (rule, settings, expected status and line) and its check, and the fixture paths."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory, Setting
from triplock.model import Location, Status
from triplock.redact import MASK
from triplock.rules.registry import Context, Outcome, all_rules
from triplock.secret_classifier import is_reference

FIXTURES = ROOT / "tests" / "fixtures" / "spark"
CONF = "conf/spark-defaults.conf"
K8S = {"spark.master": "k8s://https://kubernetes.default.svc:443"}
AUTH = {"spark.authenticate": "true"}
AES = {**AUTH, "spark.network.crypto.enabled": "true"}
UI_TLS = {"spark.ssl.enabled": "true", "spark.ssl.protocol": "TLSv1.3"}
HISTORY = {"spark.history.fs.logDirectory": "hdfs://nn:8020/spark-events"}
JWS_KEY = "spark.org.apache.spark.ui.JWSFilter.param.secretKey"
AEAD_SUITES = "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
AZURE_KEY = "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net"
KERBEROS = {"spark.kerberos.principal": "spark@EXAMPLE.COM"}


def make_app(
    settings: dict[str, str],
    exposed: frozenset[str] = frozenset(),
    kind: SparkOrigin = SparkOrigin.DEFAULTS_FILE,
    spark_version: str | None = None,
) -> SparkApp:
    """A SparkApp whose N-th setting sits on line N of conf/spark-defaults.conf."""
    app = SparkApp(CONF, Location(path=CONF), kind, spark_version=spark_version)
    for line, (key, value) in enumerate(settings.items(), start=1):
        app.set(
            Setting.literal_or_templated(
                key, value, Location(path=CONF, line=line), exposed=key in exposed
            )
        )
    return app


SECRET_RULES = {"SPARK-002", "SPARK-004", "SPARK-005", "SPARK-038", "SPARK-050", "SPARK-075"}
RULES = {r.meta.id: r for r in all_rules()}


def check(rule_id: str, app: SparkApp, version: str | None = None) -> list[Outcome]:
    return list(RULES[rule_id].check(app, Context(Inventory(), version)))


def line_of(settings: dict[str, str], key: str) -> int:
    return list(settings).index(key) + 1


# (rule, settings, status, key whose line the outcome points at (None: the file), version)
Case = tuple[str, dict[str, str], Status, str | None, str | None]


def assert_case(case: Case) -> None:
    rule_id, settings, status, key, version = case
    outcomes = check(rule_id, make_app(settings), version)
    assert [o.status for o in outcomes] == [status], [o.message for o in outcomes]
    [outcome] = outcomes
    expected_line = None if key is None else line_of(settings, key)
    assert outcome.location.path == CONF
    assert outcome.location.line == expected_line
    for evidence in outcome.evidence:
        raw = settings.get(evidence.key or "")
        named = evidence.key and ("secret" in evidence.key.lower() or "pass" in evidence.key)
        if raw and named and "secretKeyRef" not in (evidence.key or ""):
            assert evidence.shown == (raw if is_reference(raw) else MASK)
    if rule_id in SECRET_RULES and status is Status.FAIL:
        assert outcome.evidence and all(e.shown == MASK for e in outcome.evidence)


def lines_of(path: Path) -> dict[str, int]:
    """key -> line number in a simple `key value` properties file."""
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            out[line.split()[0]] = n
    return out
