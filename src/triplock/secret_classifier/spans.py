"""Where secrets sit inside longer text: URL userinfo, query and form fields, JSON fields,
credential headers, Helm --set lists; and references (`$VAR`, `{{ }}`), which hide nothing.
Every scanner is one pass (str.find, bounded patterns): a 9 MB line is read once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from triplock.secret_classifier.names import secret_key

# Bounded so that a value of many `${` does not make the search quadratic.
_REFERENCE = re.compile(
    r"\$\{[^}]{0,256}\}|\$[A-Za-z_][A-Za-z0-9_]{0,256}|\{\{[^}]{0,512}\}\}|%\([\w.-]{1,64}\)s|"
    r"<[\w .-]{1,64}>"
)

# Templated beyond a reference: command substitution runs code whose output is unknown here,
# but its text may hold a secret (`$(echo pw)`), so evidence masks it under a secret key.
_TEMPLATED = re.compile(_REFERENCE.pattern + r"|\$\([^)]{0,512}\)|`[^`]{0,512}`")

_MAX_NAME = 256  # longer "names" inside a value are data, not setting names


def templated(text: str) -> bool:
    """Holds a reference or a command substitution anywhere: its real value is unknown."""
    return bool(_TEMPLATED.search(text))


def untemplated(text: str, stand_in: str = "x") -> str:
    """`text` with each reference or substitution replaced by a stand-in, to judge the rest."""
    return _TEMPLATED.sub(stand_in, text)


def is_reference(value: str) -> bool:
    """Only a reference ($VAR, ${VAR}, {{ .Values.x }}, ${env.X}, $(cmd)): it reveals nothing."""
    v = value.strip()
    if not v:
        return False
    m = _REFERENCE.match(v)
    return m is not None and m.end() == len(v)


_URL_TOKEN = re.compile(r"[^\s\"'<>`,;|()\[\]{}]*")

_FIELD_CHARS = re.compile(r"[^&;\s\"']*")

_FIELD_END = re.compile(r"[&;\s\"']")

# Every secret name holds one of these (a cheap pre-filter for long values).
_SECRET_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "cookie", "psk")


class Span(NamedTuple):
    """Characters [start, end) of a text that are secret (a tuple: scanners make many)."""

    start: int
    end: int


def url_credentials(text: str) -> bool:
    """A password in a URL: `scheme://user:PW@host`, `jdbc:oracle:thin:u/PW@h`, `?password=PW`."""
    if "://" not in text and "oracle:thin:" not in text and "?" not in text:
        return False  # most values: no URL to look into (rules ask this of every setting)
    return url_userinfo(text) is not None or bool(query_secrets(text))


def url_userinfo(text: str) -> Span | None:
    """The first password in a URL's userinfo (`scheme://user:PW@host`), see url_passwords."""
    return next(url_passwords(text), None)


def url_passwords(text: str) -> Iterator[Span]:
    """Passwords in URL userinfo, in one pass: `redis://:pw@h`, `s3a://KEY:SECRET@bucket`,
    `mysql://u:pa/ss@h`, `jdbc:oracle:thin:scott/tiger@host`. A `host:port/path@x` is not
    userinfo (the part after the colon is a port)."""
    n = len(text)
    i = 0
    sep = text.find("://")
    oracle = text.find("oracle:thin:")
    while sep >= 0 or oracle >= 0:
        if oracle >= 0 and (sep < 0 or oracle < sep):
            start = oracle + len("oracle:thin:")
            end = _token_end(text, start, n)
            span = _oracle_password(text, start, end)
        else:
            start = sep + 3
            end = _token_end(text, start, n)
            span = _userinfo_password(text, start, end)
        if span is not None:
            yield span
        i = end
        # Each search restarts only past the last token: the whole text is read once.
        if sep >= 0 and sep < i:
            sep = text.find("://", i)
        if oracle >= 0 and oracle < i:
            oracle = text.find("oracle:thin:", i)


def _token_end(text: str, start: int, n: int) -> int:
    m = _URL_TOKEN.match(text, start, n)
    return m.end() if m else start


def _userinfo_password(text: str, start: int, end: int) -> Span | None:
    limit = end
    for stop in "?#":
        found = text.find(stop, start, limit)
        if found >= 0:
            limit = found
    at = text.rfind("@", start, limit)
    if at < 0:
        return None
    inner = text.rfind("://", start, at)
    if inner >= 0:
        start = inner + 3  # k8s://https://user:pw@api: the inner URL holds the userinfo
    colon = text.find(":", start, at)
    if colon < 0:
        return None
    slash = text.find("/", colon, at)
    if slash >= 0 and text[colon + 1 : slash].isdigit():
        return None  # host:port/path@...: no userinfo
    if colon + 1 == at or is_reference(text[colon + 1 : at]):
        return None
    return Span(colon + 1, at)


def _oracle_password(text: str, start: int, end: int) -> Span | None:
    at = text.find("@", start, end)
    stop = at if at >= 0 else end
    slash = text.find("/", start, stop)
    if slash < 0 or slash + 1 >= stop or is_reference(text[slash + 1 : stop]):
        return None
    return Span(slash + 1, stop)


def oracle_login(arg: str) -> Span | None:
    """`scott/tiger@orcl`, `scott/tiger` or `userid=scott/tiger` given to sqlplus, exp, imp...:
    the password after the slash."""
    start = arg.find("=") + 1 if arg.lower().startswith("userid=") else 0
    if arg.startswith("/") or arg.startswith("-"):
        return None  # `/ as sysdba`, an option
    return _oracle_password(arg, start, len(arg))


def query_secrets(text: str) -> list[Span]:
    """Values of secret-named parameters in a query string (`?password=pw&user=u`)."""
    q = text.find("?")
    if q < 0 or text.find("=", q) < 0:
        return []
    return form_secrets(text, q + 1)


def form_secrets(text: str, start: int = 0) -> list[Span]:
    """Values of secret-named fields in `a=1&password=pw` (also `;`- or space-separated).
    Walks the `=` signs, not every field: text without them costs one search."""
    spans: list[Span] = []
    low = text.lower()
    if not any(low.find(hint, start) >= 0 for hint in _SECRET_HINTS):
        return spans
    eq = text.find("=", start)
    while eq >= 0:
        window = max(start, eq - _MAX_NAME - 1)
        # the name runs back from `=` to a separator: match the reversed window's head
        tail = _FIELD_CHARS.match(text[window:eq][::-1])
        name_start = eq - (tail.end() if tail else 0)
        value_start, end = _field_value(text, eq + 1)
        named = 0 < eq - name_start <= _MAX_NAME and value_start < end
        value = text[value_start:end]
        if named and secret_key(text[name_start:eq]) and not is_reference(value):
            spans.append(Span(value_start, end))
        eq = text.find("=", max(end, eq + 1))
    return spans


def _field_value(text: str, start: int) -> tuple[int, int]:
    """Where a field's value starts and ends: to the closing quote when quoted (JAAS
    `password="pw";`), else to the next separator."""
    if text.startswith(('"', "'"), start):
        close = text.find(text[start], start + 1)
        return start + 1, len(text) if close < 0 else close
    end_match = _FIELD_END.search(text, start)
    return start, end_match.start() if end_match else len(text)


_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-vault-token",
        "private-token",
        "x-access-token",
        "x-amz-security-token",
        "x-goog-api-key",
    }
)


def header_secrets(header: str) -> list[Span]:
    """`Authorization: Bearer T`, `X-Api-Key:K`: the credential after the scheme word."""
    name, colon, _ = header.partition(":")
    if not colon or name.strip().lower() not in _SECRET_HEADERS:
        return []
    start = len(name) + 1
    while start < len(header) and header[start] == " ":
        start += 1
    word_end = header.find(" ", start)
    if word_end > 0 and header[start:word_end].lower() in ("bearer", "basic", "token", "digest"):
        start = word_end + 1
    return [Span(start, len(header))] if start < len(header) else []


def body_secrets(body: str) -> list[Span]:
    """Secret fields of a request body: JSON (`{"password": "pw"}`) or a form (`password=pw`)."""
    spans = form_secrets(body) if not body.lstrip().startswith(("{", "[")) else []
    return spans + json_field_secrets(body)


def json_field_secrets(text: str) -> list[Span]:
    """`"password": "pw"` pairs in JSON-like text: the value of each secret-named field."""
    spans: list[Span] = []
    for m in _JSON_NAME.finditer(text):
        if not secret_key(m[1]):
            continue
        j = m.end()
        if text.startswith('"', j):
            end = text.find('"', j + 1)
            spans.append(Span(j + 1, len(text) if end < 0 else end))
            continue
        bare = _JSON_BARE.match(text, j)
        end = bare.end() if bare else j
        if end > j and text[j:end] not in ("null", "true", "false"):
            spans.append(Span(j, end))
    return spans


_JSON_NAME = re.compile(r'"([^"\\\n]{1,256})"[ \t]*:[ \t]*')

_JSON_BARE = re.compile(r"[^,}\]\s]*")


def helm_set_secrets(assignments: str) -> list[Span]:
    """`auth.password=pw,auth.user=u`: the values of secret-named keys in a --set list."""
    spans: list[Span] = []
    i = 0
    n = len(assignments)
    while i < n:
        end = assignments.find(",", i)
        end = n if end < 0 else end
        eq = assignments.find("=", i, end)
        if 0 < eq - i <= _MAX_NAME and secret_key(assignments[i:eq]) and eq + 1 < end:
            spans.append(Span(eq + 1, end))
        i = end + 1
    return spans


def mask_spans(text: str, spans: Iterable[Span], mask: str) -> str:
    """`text` with every span replaced by `mask` (overlaps merged), in one pass."""
    out: list[str] = []
    position = 0
    for span in sorted(spans):
        if span.end <= position:
            continue
        start = max(span.start, position)
        out.append(text[position:start])
        out.append(mask)
        position = span.end
    out.append(text[position:])
    return "".join(out)
