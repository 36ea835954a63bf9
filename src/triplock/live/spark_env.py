"""A running Spark application's properties, read from its REST API, as SparkApp facts.

`GET /api/v1/applications` lists the applications a driver UI or history server knows;
`GET /api/v1/applications/<id>[/<attempt>]/environment` holds their Spark properties. Spark
shows a value its redaction regex matches as `*********(redacted)`: such a setting is set with
a hidden value, kept as templated so that no rule judges a value it cannot see.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Setting
from triplock.live.http import Client, HttpError
from triplock.model import Location

REDACTED = "*********(redacted)"


class LiveError(Exception):
    """What a live source could not read, with the URL, for `errors`."""


def spark_apps(base_url: str, client: Client) -> list[SparkApp]:
    """One SparkApp per application the UI at `base_url` lists (its latest attempt)."""
    base = base_url.rstrip("/")
    apps = _json(client, f"{base}/api/v1/applications")
    if not isinstance(apps, list):
        raise LiveError(f"{base}/api/v1/applications: not a list of applications")
    out = []
    for entry in apps:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        path = quote(entry["id"], safe="")
        attempt = _last_attempt(entry)
        if attempt:
            path += "/" + quote(attempt, safe="")
        url = f"{base}/api/v1/applications/{path}/environment"
        out.append(app_from_environment(url, _json(client, url), str(entry.get("name") or "")))
    return out


def app_from_environment(url: str, environment: Any, name: str = "") -> SparkApp:
    """The SparkApp of one `/environment` document (its `sparkProperties` pairs)."""
    if not isinstance(environment, dict) or not isinstance(
        environment.get("sparkProperties"), list
    ):
        raise LiveError(f"{url}: no sparkProperties in the reply")
    label = f"{name} ({url})" if name else url
    app = SparkApp(name=label, origin=Location(url=url), kind=SparkOrigin.LIVE)
    runtime = environment.get("runtime")
    if isinstance(runtime, dict) and isinstance(runtime.get("sparkVersion"), str):
        app.spark_version = runtime["sparkVersion"]
    for pair in environment["sparkProperties"]:
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
            key, value = pair
            hidden = value == REDACTED
            where = Location(url=url, object=key)
            app.set(Setting.at(key, value, where, templated=hidden))
    return app


def _last_attempt(entry: dict[str, Any]) -> str | None:
    attempts = entry.get("attempts")
    if isinstance(attempts, list) and attempts and isinstance(attempts[0], dict):
        attempt = attempts[0].get("attemptId")  # Spark lists the latest attempt first
        return attempt if isinstance(attempt, str) else None
    return None


def _json(client: Client, url: str) -> Any:
    try:
        reply = client.get(url, {"Accept": "application/json"})
    except HttpError as e:
        raise LiveError(f"{url}: {e}") from None
    if reply.status != 200:
        raise LiveError(f"{url}: HTTP {reply.status}")
    try:
        return json.loads(reply.body)
    except ValueError:
        raise LiveError(f"{url}: the reply is not JSON (not a Spark REST API?)") from None
