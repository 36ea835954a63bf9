"""The one place where values are made safe to show. Every value a report prints passes here.

What is a secret is decided by triplock.secret_classifier (docs/secrets.md); this module only
masks: a secret is replaced by MASK, a value that is not a secret is shown as it is, and
passwords inside URLs, `key=value` lists, JSON and headers are masked where they sit."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from triplock.secret_classifier import (
    Span,
    argument_secrets,
    form_secrets,
    header_secrets,
    is_reference,
    json_field_secrets,
    mask_spans,
    masked_key,
    not_a_secret,
    random_token,
    token_format,
    url_passwords,
)
from triplock.secret_classifier.remembered import remembered_for_short

MASK = "****"


@remembered_for_short
def show(key: str | None, value: str, by_key_only: bool = False) -> str:
    """The form of `value` that a report may print, knowing it belongs to `key`.

    `by_key_only`: mask a secret key's value even when it is a reference, as Hadoop's own
    redaction (hadoop.security.sensitive-config-keys) does for `${env.X}` values."""
    if value.strip().lower() in ("true", "false"):
        return value  # a switch reveals nothing
    if masked_key(key):
        if by_key_only or not not_a_secret(value, key):
            return MASK if value else ""
    elif is_reference(value):
        return value
    if token_format(value) or random_token(value.strip()):
        return MASK
    return mask_spans(value, embedded_secrets(value), MASK)


def embedded_secrets(text: str) -> list[Span]:
    """Secrets inside a longer value: URL passwords, `password=...` fields, JSON fields and
    credential headers (a container command, JAVA_OPTS, a JDBC URL)."""
    spans = list(url_passwords(text))
    spans += form_secrets(text)
    if '"' in text:
        spans += json_field_secrets(text)
    if ":" in text:
        spans += header_secrets(text)
    return spans


def show_command(argv: Iterable[str], secret_positions: Iterable[int] = ()) -> str:
    """A command line for display, with the secrets the classifier finds in it masked.
    `secret_positions`: arguments known to hold secrets (expanded from a secret variable)."""
    argv = list(argv)
    secret = set(secret_positions)
    spans: dict[int, list[Span]] = defaultdict(list)
    for found in argument_secrets(argv):
        spans[found.index].append(found.span)
    out: list[str] = []
    for position, arg in enumerate(argv):
        if position in secret:
            key, eq, _ = arg.partition("=")
            out.append(f"{key}={MASK}" if eq and " " not in key else MASK)
        elif position in spans:
            out.append(mask_spans(arg, spans[position], MASK))
        else:
            out.append(arg)
    return " ".join(out)


def show_script(text: str) -> str:
    """A shell script for display (a diff): the secrets the classifier finds are masked where
    they sit, as arguments of a command (its continuation lines read with it) or as
    `NAME=value`; every other character, and every line ending, is kept."""
    out: list[str] = []
    command: list[str] = []
    for line in _LINES.findall(text):
        command.append(line)
        if not line.rstrip("\r\n").endswith("\\"):
            out.append(_masked_command("".join(command)))
            command = []
    out.append(_masked_command("".join(command)))
    return "".join(out)


def _masked_command(text: str) -> str:
    words = [w for w in _WORD.finditer(text) if w.group() != "\\"]
    starts = [w.start() + len(w.group()) - len(w.group().lstrip("'\"")) for w in words]
    bare = [w.group().strip("'\"") for w in words]
    spans: list[Span] = []
    for found in argument_secrets(bare):
        if not _opens_code(bare[found.index]):
            at = starts[found.index]
            spans.append(Span(at + found.span.start, at + found.span.end))
    for at, word in zip(starts, bare, strict=True):
        if _opens_code(word):
            continue
        key, eq, value = word.partition("=")
        if eq and show(key.lstrip("-"), value.lstrip("'\"")) != value.lstrip("'\""):
            quotes = len(value) - len(value.lstrip("'\""))
            spans.append(Span(at + len(key) + 1 + quotes, at + len(word)))
        spans.extend(Span(at + s.start, at + s.end) for s in embedded_secrets(word))
    return mask_spans(text, spans, MASK)


def _opens_code(word: str) -> bool:
    """`NAME=$(cmd`, NAME=`cmd, `NAME=(a b`: a substitution or an array opens here, whose
    value is code to run, not the value itself."""
    _, eq, value = word.partition("=")
    return bool(eq) and value[:1] in ("$", "`", "(")


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_WORD = re.compile(r"[^\s]+")
