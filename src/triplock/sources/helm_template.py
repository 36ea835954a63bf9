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
from collections.abc import Iterator

# The literal argument of `default` ("..." or `...`), inside an action.
_DEFAULT_LITERAL = re.compile(r"(\bdefault\s+[\"`])[^\"`\n]*([\"`])")
# Functions whose action emits indented YAML lines rather than a scalar.
_BLOCK_WORDS = re.compile(r"\b(?:nindent|indent|toYaml)\b")
_KEY_END = re.compile(r":(?=[ \t]|$)")


def _actions(text: str) -> Iterator[tuple[int, int]]:
    """The spans of `{{ ... }}` actions (possibly over several lines), found with str.find so
    that text with many unclosed `{{` stays linear."""
    i = 0
    while (start := text.find("{{", i)) >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2
        i = end + 2


def _replace_actions(text: str, replace: str | None = None) -> str:
    """The text with every action replaced by `replace`; None keeps single-line actions and
    turns a multi-line one into its newlines (structure, such as a comment)."""
    out: list[str] = []
    last = 0
    for start, end in _actions(text):
        action = text[start:end]
        out.append(text[last:start])
        if replace is not None:
            out.append(replace)
        else:
            out.append(action if "\n" not in action else "\n" * action.count("\n"))
        last = end
    out.append(text[last:])
    return "".join(out)


def is_helm_template(text: str) -> bool:
    """Whether the text holds a template action outside a comment."""
    if "{{" not in text:
        return False  # most manifests: no line to look at
    return any("{{" in line.split("#", 1)[0] for line in text.splitlines())


def mask_actions(text: str) -> str:
    """The template's YAML with every action masked, on the same lines. A literal given to
    `default` is masked too: it is what every install without the value gets, and may be a
    secret that the action's text would otherwise carry into a report."""
    flat = _DEFAULT_LITERAL.sub(r"\g<1>****\g<2>", _replace_actions(text))
    return "\n".join(_mask_line(line) for line in flat.split("\n"))


def _mask_line(line: str) -> str:
    if "{{" not in line or line.lstrip().startswith("#"):
        return line
    without = _replace_actions(line, "")
    if not without.strip():
        return ""  # control flow or an include that emits whole blocks
    if without.rstrip().endswith(":") and any(
        _BLOCK_WORDS.search(line[a:b]) for a, b in _actions(line)
    ):
        return without.rstrip()  # `key: {{- include ... | nindent 4 }}`: the key opens a block
    head, value = _split_value(line)
    if "{{" in head or _replace_actions(value, "").startswith(":"):
        return ""  # a templated key: its entry cannot be read
    if value[:1] in ("'", '"'):
        return line  # already a quoted string
    return f"{head}'{value.rstrip().replace(chr(39), chr(39) * 2)}'"


def _split_value(line: str) -> tuple[str, str]:
    """A line split before its scalar value: indentation, sequence dashes and `key: `."""
    i = len(line) - len(line.lstrip(" \t"))
    while line.startswith("-", i) and (i + 1 == len(line) or line[i + 1] in " \t"):
        i += 1
        while i < len(line) and line[i] in " \t":
            i += 1
    rest = line[i:]
    if rest.startswith("{{"):
        return line[:i], rest
    m = _KEY_END.search(rest)
    if m is None or "#" in rest[: m.start()]:
        return line[:i], rest
    end = m.end()
    while end < len(rest) and rest[end] in " \t":
        end += 1
    return line[: i + end], rest[end:]
