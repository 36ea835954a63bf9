"""Kubernetes manifests a script carries in here-documents: `kubectl apply -f - <<EOF`,
`cat <<'EOF' | kubectl create -f -` (and `oc`). Each body is read as a manifest whose lines
are the script's own lines; `$VAR` in it stays templated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<(?P<dash>-?)\s*(?P<q>['\"]?)(?P<delim>[A-Za-z_][\w.-]*)(?P=q)")
_APPLY_STDIN = re.compile(
    r"\b(?:kubectl|oc)\b[^|;&#]*?\b(?:apply|create|replace)\b[^|;&#]*?(?:-f\s*-|--filename[=\s]+-)"
    r"(?:\s|$)"
)


@dataclass(frozen=True, slots=True)
class Heredoc:
    first_line: int  # the script line of the body's first line
    body: str

    def padded(self) -> str:
        """The body on its script lines, so that a parser's line numbers are the script's."""
        return "\n" * (self.first_line - 1) + self.body


def manifest_heredocs(text: str) -> Iterator[Heredoc]:
    """Every here-document fed to `kubectl apply|create|replace -f -` in a script."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _HEREDOC.search(line)
        i += 1
        if m is None or not _APPLY_STDIN.search(line):
            continue
        start = i
        strip_tabs = bool(m["dash"])
        while i < len(lines):
            candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
            if candidate == m["delim"]:
                break
            i += 1
        body = lines[start:i]
        if strip_tabs:
            body = [b.lstrip("\t") for b in body]
        yield Heredoc(start + 1, "\n".join(body) + "\n")
        i += 1
