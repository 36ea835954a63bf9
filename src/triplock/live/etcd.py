"""Is each Kubernetes Secret encrypted at rest? Asked of etcd itself, as Kubernetes' own docs
do: a Secret's value there starts with `k8s:enc:<provider>:v1:<key name>:` when a provider
encrypted it, and with `k8s\\x00` (protobuf) or `{` (JSON) when it is stored in plain text.

Requests: `POST /v3/kv/range` of etcd's JSON gateway over the keys under /registry/secrets/,
page by page (a range is a read; it changes nothing). Only the first bytes of each value are
kept, to name its provider; the value itself is dropped as soon as it is read and never shown.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections import Counter
from urllib.parse import urlsplit

from triplock.facts.etcd import EtcdSecrets
from triplock.live.http import Client, HttpError
from triplock.model import Location

PREFIX = b"/registry/secrets/"
_PAGE = 100
_HEAD = 48  # bytes of a value kept: enough for k8s:enc:kms:v2:<name>:


class EtcdError(Exception):
    """etcd could not be read; the message names the URL."""


def etcd_secrets(
    url: str,
    cert: str | None = None,
    key: str | None = None,
    ca: str | None = None,
    timeout: float = 5.0,
) -> EtcdSecrets:
    base = url.rstrip("/")
    client = Client(timeout, _tls(url, cert, key, ca))
    found = EtcdSecrets(url, Location(url=base + "/v3/kv/range"))
    start = PREFIX
    while True:
        kvs, more = _range(client, base, start)
        for entry_key, head in kvs:
            namespace = entry_key[len(PREFIX) :].split(b"/", 1)[0].decode("utf-8", "replace")
            found.by_namespace.setdefault(namespace, Counter())[provider_of(head)] += 1
        if not more or not kvs:
            return found
        start = kvs[-1][0] + b"\x00"


def provider_of(head: bytes) -> str:
    """`aescbc`, `aesgcm`, `secretbox`, `kms v1`, `kms v2`, another `k8s:enc:` provider's
    name, or `plaintext` / `unknown`."""
    if head.startswith(b"k8s:enc:"):
        parts = head.split(b":")
        name = parts[2].decode("ascii", "replace") if len(parts) > 2 else "unknown"
        version = parts[3].decode("ascii", "replace") if len(parts) > 3 else ""
        return f"{name} {version}" if name == "kms" else name
    if head.startswith(b"k8s\x00") or head.lstrip().startswith(b"{"):
        return "plaintext"
    return "unknown"


def _range(client: Client, base: str, start: bytes) -> tuple[list[tuple[bytes, bytes]], bool]:
    body = {
        "key": _b64(start),
        "range_end": _b64(PREFIX[:-1] + b"0"),  # every key with the prefix
        "limit": _PAGE,
        "sort_order": "ASCEND",
        "sort_target": "KEY",
    }
    url = base + "/v3/kv/range"
    try:
        reply = client.request(
            "POST", url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
    except HttpError as e:
        raise EtcdError(f"{url}: {e}") from None
    if reply.status != 200:
        raise EtcdError(f"{url}: HTTP {reply.status}")
    try:
        answer = json.loads(reply.body)
        kvs = [
            (base64.b64decode(kv["key"]), base64.b64decode(kv.get("value", ""))[:_HEAD])
            for kv in answer.get("kvs", [])
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise EtcdError(f"{url}: the reply is not etcd's range answer") from None
    return kvs, bool(answer.get("more"))


def _tls(url: str, cert: str | None, key: str | None, ca: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    if urlsplit(url).scheme == "https" and cert:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            raise EtcdError(f"--etcd-cert/--etcd-key: {e}") from None
    return context


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
