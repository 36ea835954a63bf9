"""What a Spark endpoint speaks and what it shows a client without credentials.

Requests (all listed in docs/verify.md): a TLS handshake; `GET` of `/`, `/api/v1/applications`,
`/environment/` and `/json/`; unless passive, `GET /v1/submissions/status/<id that does not
exist>` (the REST submission server looks the id up and answers "not found": no driver starts)
and, on a port that does not speak HTTP, one Spark RPC message no endpoint can receive
(spark_rpc.py). Nothing here sends a credential, a POST or a request that creates anything.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from triplock.facts.live import PageAnswer, ServiceKind, SparkService
from triplock.live.http import (
    Client,
    HttpError,
    Reply,
    Unreachable,
    exchange,
    insecure_context,
)
from triplock.live.spark_rpc import probe_rpc
from triplock.model import Location

PAGES = ("/", "/api/v1/applications", "/environment/", "/json/")
# A submission id Spark never generates (its ids are driver-<timestamp>-<counter>).
REST_STATUS = "/v1/submissions/status/triplock-probe-no-such-driver"
_LOGIN_WORDS = ("login", "auth", "signin", "sso", "oauth")


def probe(target: str, client: Client, passive: bool = False) -> SparkService:
    """Probe `target` (a URL, or host:port whose protocol is found out)."""
    base = target if "://" in target else None
    if base is None:
        host, port = split_host_port(target)
        base = f"{'https' if speaks_tls(host, port, client.timeout) else 'http'}://{target}"
    service = SparkService(target, Location(url=base), ServiceKind.OTHER)
    service.tls = base.startswith("https://")
    try:
        first = client.get(base.rstrip("/") + "/")
    except HttpError as e:
        return _not_http(service, base, client, passive, e)
    if not service.tls:
        upgrade = _https_redirect(first, base)
        service.redirects_to_https = upgrade is not None
        if upgrade is not None:
            base = upgrade
            service.location = Location(url=base)
            first = client.get(base + "/")
    answers = {"/": first} | {p: _get(client, base + p) for p in PAGES[1:]}
    if not passive:
        answers[REST_STATUS] = _get(client, base + REST_STATUS)
    service.kind = classify(answers)
    if base.startswith("https://"):
        replies = [r for r in answers.values() if r is not None]
        service.hsts = any(r.header("strict-transport-security") for r in replies)
    for path, reply in answers.items():
        answer = _answer(path, reply, base)
        if answer is None:
            continue
        if path == REST_STATUS:
            service.rest_answers_anonymous = _rest_answer(answer, reply)
        else:
            service.pages.append(answer)
    return service


def speaks_tls(host: str, port: int, timeout: float) -> bool:
    """Whether the port completes a TLS handshake (no certificate check: observing only)."""
    try:
        exchange(host, port, b"", time.monotonic() + timeout, insecure_context(), max_bytes=0)
    except HttpError:
        return False
    return True


def split_host_port(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{target!r} is neither a URL nor host:port")
    return host.strip("[]"), int(port)


def classify(answers: dict[str, Reply | None]) -> ServiceKind:
    root, apps, master = answers["/"], answers["/api/v1/applications"], answers["/json/"]
    rest = answers.get(REST_STATUS)
    page = root.body if root is not None else b""
    if b"serverSparkVersion" in page or (rest is not None and b"serverSparkVersion" in rest.body):
        return ServiceKind.REST_SUBMISSION
    if b"History Server" in page:
        return ServiceKind.HISTORY_SERVER
    if b"Spark Master at" in page or (master is not None and b'"workers"' in master.body):
        return ServiceKind.MASTER_UI
    if b"Spark Worker at" in page:
        return ServiceKind.WORKER_UI
    if root is not None and (root.header("location") or "").rstrip("/").endswith("/jobs"):
        return ServiceKind.APPLICATION_UI
    if apps is not None and apps.status == 200 and _is_json_list(apps.body):
        return ServiceKind.APPLICATION_UI
    replies = [r for r in answers.values() if r is not None]
    if replies and all(r.status in (401, 403) for r in replies):
        return ServiceKind.LOCKED_HTTP
    return ServiceKind.OTHER


def _not_http(
    service: SparkService, base: str, client: Client, passive: bool, error: HttpError
) -> SparkService:
    """A port that does not answer HTTP: Spark RPC if it says so to a harmless message."""
    if passive or service.tls or isinstance(error, Unreachable):
        service.error = str(error)
        return service
    parts = urlsplit(base)
    try:
        answer = probe_rpc(parts.hostname or "", parts.port or 0, client.timeout)
    except HttpError as e:
        service.error = f"{error}; as Spark RPC: {e}"
        return service
    if answer.demands_auth is None:
        service.error = f"{error}; {answer.said}"
        return service
    service.kind = ServiceKind.SPARK_RPC
    service.rpc_demands_auth = answer.demands_auth
    service.rpc_answer = answer.said
    return service


def _get(client: Client, url: str) -> Reply | None:
    try:
        return client.get(url)
    except HttpError:
        return None


def _https_redirect(reply: Reply, base: str) -> str | None:
    """The https origin a plain-HTTP reply redirects to, if it does."""
    location = reply.header("location") or ""
    if reply.status in (301, 302, 303, 307, 308) and location.startswith("https://"):
        parts = urlsplit(location)
        if parts.hostname == urlsplit(base).hostname:
            return f"https://{parts.netloc}"
    return None


def _answer(path: str, reply: Reply | None, base: str) -> PageAnswer | None:
    if reply is None:
        return None
    if reply.status == 200:
        return PageAnswer(path, 200, open=True)
    if reply.status in (401, 403, 407):
        return PageAnswer(path, reply.status, open=False)
    location = (reply.header("location") or "").lower()
    if 300 <= reply.status < 400 and any(word in location for word in _LOGIN_WORDS):
        return PageAnswer(path, reply.status, open=False)
    return None


def _rest_answer(answer: PageAnswer, reply: Reply | None) -> PageAnswer | None:
    """Only the REST server's own JSON counts as an answer: a web UI may serve any path."""
    if answer.open and (reply is None or b"serverSparkVersion" not in reply.body):
        return None
    return answer


def _is_json_list(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), list)
    except ValueError:
        return False
