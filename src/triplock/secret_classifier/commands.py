"""Secrets on a command line: which characters of which argument, given through which option
(docs/secrets.md, "What evidence shows")."""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass

from triplock.secret_classifier.names import masked_key
from triplock.secret_classifier.spans import (
    Span,
    body_secrets,
    header_secrets,
    helm_set_secrets,
    json_field_secrets,
    oracle_login,
    query_secrets,
    templated,
    url_passwords,
)
from triplock.secret_classifier.values import not_a_secret, null_like, shaped_like_secret


@dataclass(frozen=True, slots=True)
class ArgSecret:
    """A secret inside argument `index` at `span`, given through `via` (an option, or "an
    argument"); `literal` unless the secret part is a reference."""

    index: int
    span: Span
    via: str
    literal: bool


# Options whose value is `user:password` or `cert:password`, by program.
_USER_PASSWORD_OPTIONS = {
    "curl": frozenset({"-u", "--user", "-U", "--proxy-user", "-E", "--cert", "--proxy-cert"}),
}

# Options whose whole value is a secret, by program (None: any program).
_PASSWORD_OPTIONS: dict[str | None, frozenset[str]] = {
    None: frozenset(
        {
            "-storepass",
            "-keypass",
            "-srcstorepass",
            "-deststorepass",
            "-srckeypass",
            "-destkeypass",
            "-passin",
            "-passout",
            "-pass",
            "--password",
            "--passwd",
            "--token",
            "--secret",
            "--api-key",
            "--client-secret",
            "--proxy-password",
            "--http-password",
            "--ftp-password",
            "--oauth2-bearer",
        }
    ),
    "openssl": frozenset({"-k", "-K"}),
    "curl": frozenset({"--pass"}),
    "redis-cli": frozenset({"-a", "--pass"}),
    "sshpass": frozenset({"-p"}),
    "mysql": frozenset({"-p"}),
    "mysqldump": frozenset({"-p"}),
    "mysqladmin": frozenset({"-p"}),
    "mariadb": frozenset({"-p"}),
    "ipmitool": frozenset({"-P"}),
}

# Short options whose value may be glued on: curl -uadmin:pw, mysql -ppw.
_GLUED = {"mysql": "-p", "mysqldump": "-p", "mysqladmin": "-p", "mariadb": "-p", "curl": "-u"}

_HEADER_OPTIONS = frozenset({"-H", "--header", "--proxy-header"})

_DATA_OPTIONS = frozenset(
    {
        "-d",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--post-data",
        "--body-data",
        "-F",
        "--form",
        "--form-string",
        "--json",
    }
)

_SET_OPTIONS = frozenset({"--set", "--set-string", "--set-json", "--set-literal"})

_ORACLE_PROGRAMS = frozenset(
    {"sqlplus", "sqlldr", "exp", "imp", "expdp", "impdp", "rman", "dgmgrl", "tkprof"}
)


def argument_secrets(argv: list[str]) -> list[ArgSecret]:
    """Which characters of which arguments of one command are secrets."""
    program = posixpath.basename(argv[0]) if argv else ""
    valued = _valued_options(program)
    found: list[ArgSecret] = []
    option: str | None = None  # the option whose value the current argument is
    for index, arg in enumerate(argv[1:], start=1):
        spans: list[Span] = []
        via = option or "an argument"
        if option is not None:
            spans = _option_value_spans(program, option, arg)
            option = None
        elif arg in valued:
            option = arg
            continue
        elif arg.startswith("-") and arg.partition("=")[0] in valued:
            name, _, value = arg.partition("=")
            via = name
            spans = [_shift(s, len(name) + 1) for s in _option_value_spans(program, name, value)]
        elif _glued(program, arg):
            via = arg[:2]
            spans = _glued_spans(program, arg)
        if not spans:
            spans = _free_spans(program, arg)
        found.extend(ArgSecret(index, s, via, _literal(arg[s.start : s.end])) for s in spans)
    return found


@functools.lru_cache(maxsize=64)
def _valued_options(program: str) -> frozenset[str]:
    return (
        _PASSWORD_OPTIONS[None]
        | _PASSWORD_OPTIONS.get(program, frozenset())
        | _USER_PASSWORD_OPTIONS.get(program, frozenset())
        | _HEADER_OPTIONS
        | _DATA_OPTIONS
        | _SET_OPTIONS
    )


def _literal(text: str) -> bool:
    return not (templated(text) or null_like(text))


def _option_value_spans(program: str, option: str, value: str) -> list[Span]:
    if option in _HEADER_OPTIONS:
        return header_secrets(value)
    if option in _DATA_OPTIONS:
        return body_secrets(value)
    if option in _SET_OPTIONS:
        return helm_set_secrets(value)
    if option in _USER_PASSWORD_OPTIONS.get(program, ()):
        return _after_colon(value)
    return _password_value(value)


def _shift(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset)


def _after_colon(value: str) -> list[Span]:
    """`user:password`, `cert.pem:password`: the part after the first colon."""
    colon = value.find(":")
    if colon < 0 or colon + 1 >= len(value):
        return []
    return [Span(colon + 1, len(value))]


def _password_value(value: str) -> list[Span]:
    """A password option's value; openssl's `pass:PW` keeps its prefix, `env:`/`file:` name
    where the secret is."""
    if value.startswith(("env:", "file:", "fd:", "stdin")):
        return []
    start = len("pass:") if value.startswith("pass:") else 0
    return [Span(start, len(value))] if start < len(value) else []


def _glued(program: str, arg: str) -> bool:
    short = _GLUED.get(program)
    return short is not None and arg.startswith(short) and len(arg) > len(short)


def _glued_spans(program: str, arg: str) -> list[Span]:
    """`-uadmin:pw` (curl), `-ppw` (mysql)."""
    if program == "curl":
        return [_shift(s, 2) for s in _after_colon(arg[2:])]
    return [Span(2, len(arg))]


def _free_spans(program: str, arg: str) -> list[Span]:
    """A free argument: URL passwords, JSON fields (`kubectl patch -p '{...}'`), Oracle logins,
    and `key=value` with a secret key."""
    spans = list(url_passwords(arg)) + query_secrets(arg)
    if '"' in arg:
        spans += json_field_secrets(arg)
    if program in _ORACLE_PROGRAMS and not spans and "/" in arg:
        login = oracle_login(arg)
        if login is not None:
            spans.append(login)
    if spans:
        return spans
    key, eq, value = arg.partition("=")
    if eq and " " not in key and value:
        name = key.lstrip("-")
        if masked_key(name) and not not_a_secret(value, name):
            return [Span(len(key) + 1, len(arg))]
        return [Span(len(key) + 1 + s.start, len(key) + 1 + s.end) for s in header_secrets(value)]
    if shaped_like_secret(arg) or header_secrets(arg):
        return header_secrets(arg) or [Span(0, len(arg))]
    return []
