"""The one place where values are made safe to show. Every value a report prints passes here."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

MASK = "****"

# Key names that hold secrets (matched anywhere in the key, case-insensitive). Wider than
# Spark's default spark.redaction.regex on purpose: a false mask costs nothing.
SENSITIVE_KEY = re.compile(
    r"(?i)(secret|pass|pwd|token|credential|access[._-]?key|account[._-]?key|private[._-]?key|api[._-]?key|"
    r"auth[._-]?key|encryption[._-]?key|\.key$|_key$|keytab_?pass|session[._-]?key|cookie|"
    r"signature|salt|passphrase|jwt|bearer)"
)

# Hadoop's own hadoop.security.sensitive-config-keys (core-default.xml, 3.5.0), which /conf
# redacts: cloud-store key families whose names SENSITIVE_KEY does not say are secret.
_HADOOP_SENSITIVE_KEY = re.compile(
    r"(?i)fs\.s3a\..*server-side-encryption\.key|fs\.s3a\.encryption\.(key|context)|"
    r"fs\.s3a\..*session\.(key|token)|fs\.azure\.account\.key\.|fs\.azure\.oauth2\.|"
    r"fs\.adl\.oauth2\.|fs\.gs\.encryption\.|fs\.gs\.proxy\.|fs\.gs\.auth\.|"
    r"oauth.*(secret|password|token)|keypassword$|accesskeysecret$|secretkey$"
)

# A value that is only a reference ($VAR, ${VAR}, {{ .Values.x }}, ${env.X}) reveals nothing.
_REFERENCE = re.compile(r"^\s*(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\})\s*$")

# Values that look like secrets whatever the key: PEM blocks, known token formats, JWTs.
_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|"
    r"\bAKIA[0-9A-Z]{16}\b|\bASIA[0-9A-Z]{16}\b|"
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}\b|"
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|"
    r"\bsk-[A-Za-z0-9]{20,}\b|\bAIza[0-9A-Za-z_-]{35}\b"
)

# Dotted or dashed names (Java classes, hostnames, image names) are not secrets.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*([.-][A-Za-z_][A-Za-z0-9_$]*)+$")

_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:password|passwd|pwd|secret|token|access_?key|secret_?key)=)(?!\$)[^&;\s]+"
)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@"
)


def is_reference(value: str) -> bool:
    return bool(_REFERENCE.match(value))


@functools.lru_cache(maxsize=8192)
def is_sensitive_key(key: str | None) -> bool:
    # Cached: an audit asks about the same few hundred keys thousands of times, and the Hadoop
    # families' `.*` alternations are the slowest regex search of a large audit.
    return bool(key) and bool(
        SENSITIVE_KEY.search(key or "") or _HADOOP_SENSITIVE_KEY.search(key or "")
    )


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_secret(value: str) -> bool:
    """A value that is a secret whatever its key: known token formats or a long random string."""
    if _SECRET_VALUE.search(value):
        return True
    token = value.strip()
    if len(token) < 20 or any(c in token for c in " /\\:") or _IDENTIFIER.match(token):
        return False
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            sum(c.isdigit() for c in token) >= 2,
        )
    )
    return classes >= 2 and entropy(token) >= 3.5


def show(key: str | None, value: str, by_key_only: bool = False) -> str:
    """The form of `value` that a report may print, knowing it belongs to `key`.

    `by_key_only`: mask a sensitive key's value even when it is a reference, as Hadoop's own
    redaction (hadoop.security.sensitive-config-keys) does for `${env.X}` values."""
    if value.strip().lower() in ("true", "false"):
        return value  # a switch reveals nothing
    if is_reference(value) and not (by_key_only and is_sensitive_key(key)):
        return value
    if is_sensitive_key(key) or looks_secret(value):
        return MASK if value else ""
    shown = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", value)
    return _QUERY_SECRET.sub(lambda m: f"{m[1]}{MASK}", shown)


def url_credentials(value: str) -> bool:
    """Whether a value embeds a password in a URL (user:password@ or ?password=...)."""
    return bool(_URL_CREDENTIALS.search(value) or _QUERY_SECRET.search(value))


# Options whose next argument is a secret although their names do not say so.
_SECRET_VALUE_OPTIONS = frozenset({"-u", "--user", "-p", "-passin", "-passout"})
_OPENSSL_KEY_OPTIONS = frozenset({"-k", "-K", "-pass"})  # openssl enc: the key or password


def show_command(argv: Iterable[str], secret_positions: Iterable[int] = ()) -> str:
    """A command line for display, with the values of secret-bearing options masked.
    `secret_positions`: arguments known to hold secrets (expanded from a secret variable)."""
    out: list[str] = []
    mask_next = False
    secret = set(secret_positions)
    argv = list(argv)
    options = _SECRET_VALUE_OPTIONS
    if argv and argv[0].rsplit("/", 1)[-1] == "openssl":
        options = options | _OPENSSL_KEY_OPTIONS
    for position, arg in enumerate(argv):
        if position in secret:
            key, eq, _ = arg.partition("=")
            out.append(f"{key}={MASK}" if eq and " " not in key else MASK)
            mask_next = False
            continue
        if mask_next:
            out.append(_show_option_value(arg))
            mask_next = False
            continue
        if arg.startswith("-") and (
            arg in options or is_sensitive_key(arg.lstrip("-").partition("=")[0])
        ):
            mask_next = "=" not in arg
            if "=" in arg:
                key, _, value = arg.partition("=")
                out.append(f"{key}={_show_option_value(value)}")
            else:
                out.append(arg)
            continue
        if "=" in arg:
            key, _, value = arg.partition("=")
            out.append(f"{key}={show(key, value)}")
            continue
        out.append(show(None, arg))
    return " ".join(out)


def _show_option_value(value: str) -> str:
    """The value of a secret-bearing option: keep a `pass:`/`user:` prefix, mask the rest."""
    if is_reference(value):
        return value
    for prefix in ("pass:", "env:", "file:"):
        if value.startswith(prefix):
            return value if prefix != "pass:" else prefix + MASK
    user, colon, _ = value.partition(":")
    return f"{user}:{MASK}" if colon else MASK
