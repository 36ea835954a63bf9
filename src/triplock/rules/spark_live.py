"""Rules on what running Spark services showed `triplock verify` (SPARK-080..084): anonymous
access to the UIs and REST API, the REST submission server, Spark RPC authentication, plain
HTTP and HSTS. The observations are facts (facts/live.py); these rules only judge them.
"""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.live import ServiceKind, SparkService
from triplock.model import Evidence, Severity
from triplock.rules._spark_common import SECURITY_DOC
from triplock.rules.registry import Context, Outcome, fail, passed, rule

_UI_KINDS = (
    ServiceKind.APPLICATION_UI,
    ServiceKind.HISTORY_SERVER,
    ServiceKind.MASTER_UI,
    ServiceKind.WORKER_UI,
    ServiceKind.LOCKED_HTTP,
)


def _is_ui(service: SparkService) -> bool:
    return service.kind in _UI_KINDS


def _is_http(service: SparkService) -> bool:
    return (
        service.error is None
        and service.kind is not ServiceKind.SPARK_RPC
        and (service.kind is not ServiceKind.OTHER)
    )


@rule(
    id="SPARK-080",
    slug="spark-live-anonymous-access",
    title="A running Spark UI or REST API answers requests without credentials",
    control="spark.access-control",
    severity=Severity.HIGH,
    target=SparkService,
    applies=_is_ui,
    rationale="Observed, not inferred: a 200 to an anonymous GET of the UI, /api/v1 or the "
    "environment page means anyone who reaches the port reads job details, logs and settings "
    "(and may kill jobs). spark.acls.enable without an authentication filter does not stop it: "
    "with no authenticated user Spark lets every request through.",
    remediation="Put an authentication filter in front of the UI (spark.ui.filters, e.g. "
    "org.apache.spark.ui.JWSFilter on Spark 4) and keep spark.acls.enable=true with view ACLs.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def anonymous_access(service: SparkService, ctx: Context) -> Iterator[Outcome]:
    for page in service.pages:
        where = service.at(page.path)
        seen = Evidence.of("HTTP status", str(page.status))
        if page.open:
            yield fail(
                f"GET {page.path} answered {page.status} without credentials "
                f"({service.kind.value})",
                where,
                seen,
            )
        else:
            yield passed(f"GET {page.path} was refused without credentials", where, seen)


@rule(
    id="SPARK-081",
    slug="spark-live-rest-submission-open",
    title="A running REST submission server answers unauthenticated requests",
    control="spark.access-control",
    severity=Severity.CRITICAL,
    target=SparkService,
    applies=lambda s: s.rest_answers_anonymous is not None,
    rationale="Observed: the standalone master's REST submission server answered a status "
    "request without credentials; the same server accepts POST /v1/submissions/create, which "
    "runs any code on the workers. spark.authenticate does not protect it; only a filter "
    "(spark.master.rest.filters) does.",
    remediation="Set spark.master.rest.enabled=false, or "
    "spark.master.rest.filters=org.apache.spark.ui.JWSFilter with its secret key (base64url, "
    "no '/' or '+': a standard-base64 key silently stops the REST server from starting).",
    references=(SECURITY_DOC + "#standalone-mode",),
)
def rest_submission(service: SparkService, ctx: Context) -> Iterator[Outcome]:
    answer = service.rest_answers_anonymous
    assert answer is not None
    where = service.at(answer.path)
    seen = Evidence.of("HTTP status", str(answer.status))
    if answer.open:
        yield fail(
            "the REST submission server answered a request without credentials: anyone who "
            "reaches it can submit a driver",
            where,
            seen,
        )
    else:
        yield passed("the REST submission path refused a request without credentials", where)


@rule(
    id="SPARK-082",
    slug="spark-live-rpc-no-auth",
    title="A running Spark RPC port serves clients that did not authenticate",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkService,
    applies=lambda s: s.rpc_demands_auth is not None,
    rationale="Observed: the port handed an RPC message sent without Spark's authentication "
    "handshake to its dispatcher. Without spark.authenticate anyone who reaches the master, "
    "worker or driver RPC port can talk to its endpoints (and RPC encryption, negotiated during "
    "authentication, is off too).",
    remediation="Set spark.authenticate=true with a secret on every master, worker and "
    "application (spark.authenticate.secret.file, or the Kubernetes-generated secret).",
    references=(SECURITY_DOC + "#authentication",),
)
def rpc_auth(service: SparkService, ctx: Context) -> Iterator[Outcome]:
    said = Evidence.of("answer", service.rpc_answer)
    if service.rpc_demands_auth:
        yield passed("the RPC port demands authentication first", service.at(), said)
    else:
        yield fail("the RPC port serves clients without authentication", service.at(), said)


@rule(
    id="SPARK-083",
    slug="spark-live-ui-plain-http",
    title="A running Spark UI is served over plain HTTP",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkService,
    applies=_is_http,
    rationale="Observed: the web service answered over plain HTTP and did not redirect to "
    "HTTPS, so pages, cookies and any filter's token cross the network in clear text.",
    remediation="Enable spark.ssl.ui.enabled / spark.ssl.historyServer.enabled / "
    "spark.ssl.standalone.enabled with a keystore (triplock keys ca, cert and keystore).",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def plain_http(service: SparkService, ctx: Context) -> Iterator[Outcome]:
    if service.tls:
        yield passed("the service speaks HTTPS", service.at())
    elif service.redirects_to_https:
        yield passed("plain HTTP redirects to HTTPS", service.at())
    else:
        yield fail("the service answers over plain HTTP", service.at())


@rule(
    id="SPARK-084",
    slug="spark-live-no-hsts",
    title="A running Spark UI over HTTPS sends no Strict-Transport-Security header",
    control="spark.ui-tls",
    severity=Severity.LOW,
    target=SparkService,
    applies=lambda s: s.hsts is not None,
    rationale="Observed: without HSTS a browser that once reached the UI over HTTPS may be "
    "downgraded to plain HTTP by an active attacker.",
    remediation="Set spark.ui.strictTransportSecurity (e.g. max-age=31536000).",
    references=(SECURITY_DOC + "#http-security-headers",),
)
def hsts(service: SparkService, ctx: Context) -> Iterator[Outcome]:
    if service.hsts:
        yield passed("the HTTPS reply carries Strict-Transport-Security", service.at())
    else:
        yield fail("the HTTPS reply has no Strict-Transport-Security header", service.at())
