"""Kubernetes manifests a script carries in here-documents: `kubectl apply -f - <<EOF`,
`cat <<'EOF' | kubectl create -f -` (and `oc`). Each body is read as a manifest whose lines
are the script's own lines; `$VAR` in it stays templated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<(?P<dash>-?)\s*(?P<q>['\"]?)(?P<delim>[A-Za-z_][\w.-]*)(?P=q)")
_SEPARATORS = re.compile(r"\|\|?|;|&&?")
_CLIENTS = frozenset({"kubectl", "oc"})
_VERBS = frozenset({"apply", "create", "replace"})


@dataclass(frozen=True, slots=True)
class Heredoc:
    first_line: int  # the script line of the body's first line
    body: str

    def padded(self) -> str:
        """The body on its script lines, so that a parser's line numbers are the script's."""
        return "\n" * (self.first_line - 1) + self.body


def applies_stdin(line: str) -> bool:
    """Whether a command of this line is `kubectl|oc apply|create|replace -f -`."""
    for command in _SEPARATORS.split(line.split(" #", 1)[0]):
        words = command.split()
        clients = [i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] in _CLIENTS]
        if not clients:
            continue
        rest = words[clients[0] + 1 :]
        stdin = any(
            w in ("-f-", "--filename=-") or (w in ("-f", "--filename") and nxt == "-")
            for w, nxt in zip(rest, [*rest[1:], ""], strict=True)
        )
        if stdin and _VERBS.intersection(rest):
            return True
    return False


def manifest_heredocs(text: str) -> Iterator[Heredoc]:
    """Every here-document fed to `kubectl apply|create|replace -f -` in a script."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _HEREDOC.search(line)
        i += 1
        if m is None or not applies_stdin(line):
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
