"""Unrendered Helm templates read as the YAML they will become, without rendering them.

Every Go template action is masked so that the YAML parser sees the chart's literal structure:
a line made only of actions (`{{- if ... }}`, `{{- end }}`, `{{- toYaml ... | nindent 8 }}`)
becomes blank; an action after a key (`labels: {{- include ... | nindent 4 }}`) is dropped,
leaving the key; a value holding an action is quoted whole, so it stays a string containing
`{{ }}`, which `is_templated` marks as unknown. Both branches of an `if` are kept, as the shell
source reads both branches of a script: literal settings are judged wherever they are written,
templated ones are `unknown`, never guessed. Line numbers are preserved.
"""

from __future__ import annotations

import re

# A Go template action, possibly over several lines ({{/* comments */}} often are).
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# The literal argument of `default` ("..." or `...`), inside an action.
_DEFAULT_LITERAL = re.compile(r"(\bdefault\s+[\"`])[^\"`\n]*([\"`])")
# An action that emits indented YAML lines rather than a scalar.
_BLOCK = re.compile(r"\{\{-?[^}]*\b(?:nindent|indent|toYaml)\b")
# The start of a line up to its scalar value: indentation, sequence dashes, then `key:`.
_VALUE_START = re.compile(
    r"""^(?P<head>[ \t]*(?:-[ \t]+)*(?:(?:"[^"]*"|'[^']*'|[^\s#'"{][^#]*?)[ \t]*:[ \t]+)?)"""
    r"(?P<value>.*)$"
)


def is_helm_template(text: str) -> bool:
    """Whether the text holds a template action outside a comment."""
    return any("{{" in line.split("#", 1)[0] for line in text.splitlines())


def mask_actions(text: str) -> str:
    """The template's YAML with every action masked, on the same lines. A literal given to
    `default` is masked too: it is what every install without the value gets, and may be a
    secret that the action's text would otherwise carry into a report."""
    flat = _DEFAULT_LITERAL.sub(r"\g<1>****\g<2>", _ACTION.sub(_keep_newlines, text))
    return "\n".join(_mask_line(line) for line in flat.split("\n"))


def _keep_newlines(m: re.Match[str]) -> str:
    action = m.group(0)
    if "\n" not in action:
        return action
    return "\n" * action.count("\n")  # a multi-line action (a comment, a block) is structure


def _mask_line(line: str) -> str:
    if "{{" not in line or line.lstrip().startswith("#"):
        return line
    without = _ACTION.sub("", line)
    if not without.strip():
        return ""  # control flow or an include that emits whole blocks
    if without.rstrip().endswith(":") and _BLOCK.search(line):
        return without.rstrip()  # `key: {{- include ... | nindent 4 }}`: the key opens a block
    m = _VALUE_START.match(line)
    value = "" if m is None else m["value"]
    if m is None or "{{" in m["head"] or _ACTION.sub("", value).startswith(":"):
        return ""  # a templated key: its entry cannot be read
    if value[:1] in ("'", '"'):
        return line  # already a quoted string
    return f"{m['head']}'{value.rstrip().replace(chr(39), chr(39) * 2)}'"
