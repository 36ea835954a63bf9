"""The one Spark edit a launch line gets: a literal `--conf KEY=secret` becomes its file form
(`--conf KEY.driver.file=PATH --conf KEY.executor.file=PATH`, `...oauthTokenFile=PATH`) in
place, when the edits name the file: an unset of KEY with sets of its file forms on the same
command line (the material a provider generated, or a file the user named). Without them, or
when the secret is not a literal word written on that line, nothing is edited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from triplock.fix.interface import Edit
from triplock.model import FixAction
from triplock.sources.shell_lexer import Word

_CONF = ("--conf", "-c")
_PLAIN = re.compile(r"[A-Za-z0-9_./:@%+=,-]+")


@dataclass(frozen=True, slots=True)
class Replacement:
    start: int
    end: int
    text: str


def file_forms(secret: Edit, edits: list[Edit]) -> list[Edit]:
    """The sets of `secret`'s file forms (KEY.file, KEY.driver.file, KEYFile) on its line."""
    line = secret.finding.location.line
    return [
        e
        for e in edits
        if e.action is FixAction.SET
        and e.value
        and e.finding.location.line == line
        and (e.key == secret.key + "File" or _is_file_key(secret.key, e.key))
    ]


def _is_file_key(key: str, candidate: str) -> bool:
    return candidate.startswith(key + ".") and candidate.endswith(".file")


def replacement(
    words: list[Word], secret: Edit, forms: list[Edit], received: int
) -> Replacement | str:
    """The `--conf KEY=...` word rewritten to the file forms, or why not. `received`: how many
    KEY settings the command gets once its variables are expanded (the audit's reading)."""
    line = secret.finding.location.line
    written = [
        (literal(before), w)
        for before, w in pairwise(words)
        if literal(before) in _CONF
        and w.line == line
        and (literal(w) or "").partition("=")[0] == secret.key
    ]
    if len(written) != 1 or received != 1 or written[0][1].start < 0:
        return (
            f"manual step: {secret.key} is not one literal --conf word of the command at line "
            f"{line} (it comes from a variable or is given twice); replace it with "
            + " and ".join(f"{e.key}={e.value}" for e in forms)
        )
    conf, word = written[0]
    settings = [f"{e.key}={_quoted(e.value or '')}" for e in forms]
    return Replacement(word.start, word.end, f" {conf} ".join(settings))


def literal(word: Word) -> str | None:
    """The word's text when it holds no expansion, else None."""
    if all(p.kind == "lit" for p in word.parts):
        return "".join(p.text for p in word.parts)
    return None


def _quoted(value: str) -> str:
    if _PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"
