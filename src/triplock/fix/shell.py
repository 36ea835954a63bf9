"""Editor for shell scripts (kind `shell`: spark-submit launchers and other scripts): only edits
that cannot change anything else the script does. It removes the switches that turn TLS
verification off (curl -k/--insecure, wget --no-check-certificate, kubectl and helm
--insecure-skip-tls-verify) from the command a finding points to, when they are words written
in that command: the word goes with the blanks before it, or with its own continuation line,
so quoting, continuations and here-documents stay byte for byte. A literal `--conf` secret
becomes its file form when the edits name the file (_shell_conf.py). A switch or secret that
comes from a variable, through eval or from inside `...` is refused, and every other fix on a
script (a Spark setting on a launch line) is left with why."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from triplock.facts.shell import Arg, ShellCommand, clusters_flag
from triplock.fix._shell_conf import file_forms, literal, replacement
from triplock.fix.interface import Change, Edit, Edited, EditorError
from triplock.model import FixAction
from triplock.redact import show_script
from triplock.sources.interface import SourceError
from triplock.sources.shell_lexer import ArrayAssign, Op, ShellSyntaxError, Token, Word, lex

_SWITCHES = {
    "curl": ("-k", "--insecure"),
    "wget": ("--no-check-certificate",),
    "kubectl": ("--insecure-skip-tls-verify", "--insecure-skip-tls-verify=true"),
    "helm": ("--insecure-skip-tls-verify",),
}
# curl's short options that take no value: a cluster loses its k only when every letter before
# it is one of these (in `-ok` the k is the file name of -o, not a switch).
_CURL_BARE = frozenset("sSfLviIkOJgGjlqRN#0123456")
_WRAPPERS = frozenset({"exec", "nohup", "time", "command", "builtin", "sudo", "env", "nice"})
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "{", "!"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


@dataclass(frozen=True, slots=True)
class _Command:
    program: Word | None  # the word naming the program
    words: tuple[Word, ...]
    through_eval: bool  # eval re-reads its words: they are not the words that run


class ShellEditor:
    kinds: ClassVar[frozenset[str]] = frozenset({"shell"})
    # A fix here is about one command, not about a key of the whole file: the planner keeps
    # one edit per key and command line.
    per_command: ClassVar[bool] = True

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        try:
            commands = list(_commands(lex(text)))
        except ShellSyntaxError as e:
            raise EditorError(f"shell syntax: {e}") from None
        spans: list[tuple[int, int, str, Edit]] = []
        left: list[tuple[Edit, str]] = []
        handled: set[int] = set()  # ids of the edits a file form took care of
        for edit in edits:
            if edit.action is FixAction.UNSET and not _is_switch(edit.key):
                forms = file_forms(edit, edits)
                if forms:
                    spans.extend(_to_file(text, commands, edit, forms, left))
                    handled.update(id(e) for e in (edit, *forms))
        for edit in edits:
            if id(edit) in handled:
                continue
            if edit.action is not FixAction.UNSET or not _is_switch(edit.key):
                left.append((edit, _not_edited(edit)))
                continue
            found = _switch_spans(text, commands, edit)
            if isinstance(found, str):
                left.append((edit, found))
            else:
                spans.extend((start, end, new, edit) for start, end, new in found)
        return _applied(text, spans, tuple(left))

    def masked(self, text: str) -> str:
        return show_script(text)


def _to_file(
    text: str,
    commands: list[_Command],
    secret: Edit,
    forms: list[Edit],
    left: list[tuple[Edit, str]],
) -> list[tuple[int, int, str, Edit]]:
    """A literal `--conf KEY=secret` rewritten to its file forms; the sets it carries out get
    an empty span at its end, so each has its Change."""
    line = secret.finding.location.line
    words = [list(c.words) for c in commands if any(w.line == line for w in c.words)]
    received = _received(text, line, lambda c, a: a.text.partition("=")[0] == secret.key, True)
    found = replacement(words[0] if len(words) == 1 else [], secret, forms, received)
    if isinstance(found, str):
        left.extend((e, found) for e in (secret, *forms))
        return []
    return [
        (found.start, found.end, found.text, secret),
        *((found.end, found.end, "", e) for e in forms),
    ]


def _not_edited(edit: Edit) -> str:
    if edit.action is FixAction.SET:
        return (
            f"manual step: set {edit.key}={edit.value} in the properties file this launch "
            "loads, or on the command yourself (a script gets only safe edits)"
        )
    return f"manual step: remove {edit.key} from the command (a script gets only safe edits)"


def _is_switch(key: str) -> bool:
    return any(key in switches for switches in _SWITCHES.values())


def _commands(tokens: list[Token]) -> Iterator[_Command]:
    """Every simple command, those inside $(...) too (their words keep their offsets; the
    commands inside `...` were lexed from a copy and are not offered)."""
    items: list[Word | ArrayAssign] = []
    for token in [*tokens, Op("\n", 0)]:
        if not isinstance(token, Op):
            items.append(token)
            continue
        words = [w for w in items if isinstance(w, Word)]
        for word in words:
            for part in word.parts:
                if part.body and part.text.startswith("$("):
                    yield from _commands(list(part.body))
        if words:
            yield _command(words)
        items = []


def _command(words: list[Word]) -> _Command:
    """The command with the word naming its program: past keywords, assignments, wrappers and
    their options."""
    through_eval = False
    for word in words:
        text = literal(word)
        if text == "eval":
            through_eval = True
        elif text is None or not (
            text in _KEYWORDS
            or _ASSIGNMENT.match(text)
            or posixpath.basename(text) in _WRAPPERS
            or text.startswith("-")
        ):
            return _Command(word, tuple(words), through_eval)
    return _Command(None, tuple(words), through_eval)


def _switch_spans(
    text: str, commands: list[_Command], edit: Edit
) -> list[tuple[int, int, str]] | str:
    """The replacements that take the switches out of the finding's command, or why not."""
    line = edit.finding.location.line
    programs = [p for p, switches in _SWITCHES.items() if edit.key in switches]
    program = next((p for p in programs if any(_runs(c, p, line) for c in commands)), programs[0])
    mine = [c for c in commands if _runs(c, program, line)]
    if any(c.through_eval for c in mine):
        return (
            f"manual step: the {program} command at line {line} runs through eval; "
            f"remove {edit.key}"
        )
    words = [w for c in mine for w in c.words if _written_switch(literal(w), program)]
    valued = [w for c in mine for w in c.words if _switch(literal(w), program)]
    if len(valued) > len(words):
        return (
            f"manual step: an option before the k of {program} may take it as its value; remove -k"
        )
    received = _received(text, line, lambda c, a: c.program == program and _switch(a.text, program))
    if not words or any(w.start < 0 for w in words) or len(words) != received:
        return (
            f"manual step: {edit.key} is not written as a word of the {program} command at line "
            f"{line} (it comes from a variable or a substitution); remove it where it is written"
        )
    return [_removal(text, w, program) for w in words]


def _runs(command: _Command, program: str, line: int | None) -> bool:
    word = command.program
    if word is None or word.line != line:
        return False
    return posixpath.basename(literal(word) or "") == program


def _switch(word: str | None, program: str) -> bool:
    """What the audit counts as the switch (SHELL-001): curl's k in any cluster of letters."""
    if word is None:
        return False
    return word in _SWITCHES[program] or (program == "curl" and clusters_flag(word, "k"))


def _written_switch(word: str | None, program: str) -> bool:
    """A switch the editor takes out: in a cluster, only after letters that take no value."""
    if not _switch(word, program) or word is None:
        return False
    if word in _SWITCHES[program]:
        return True
    return set(word[1 : word.index("k")]) <= _CURL_BARE


def _received(
    text: str,
    line: int | None,
    wanted: Callable[[ShellCommand, Arg], bool],
    anywhere: bool = False,
) -> int:
    """How many `wanted` arguments the command at `line` (its program's line, or `anywhere`
    in it) receives once the script's variables are expanded, as the audit read it."""
    from triplock.sources.shell import read_script

    try:
        commands, _ = read_script(text, "")
    except SourceError:
        return -1
    return sum(
        1
        for c in commands
        if c.location.line == line or (anywhere and any(a.line == line for a in c.args))
        for a in c.args[1:]
        if wanted(c, a)
    )


def _removal(text: str, word: Word, program: str) -> tuple[int, int, str]:
    """The switch out of the text: a cluster loses its k; a word alone on a continuation line
    goes with its line; otherwise with the blanks before it (or after it, first on a line)."""
    start, end = word.start, word.end
    raw = text[start:end]
    if program == "curl" and literal(word) not in _SWITCHES["curl"]:
        return start, end, raw.replace("k", "", 1)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    continued = text[max(0, line_start - 2) : line_start] == "\\\n"
    if continued and not before.strip(" \t") and after.strip(" \t") == "\\":
        return line_start, line_end + 1, ""
    blanks = len(before) - len(before.rstrip(" \t"))
    if blanks:
        return start - blanks, end, ""
    trailing = len(after) - len(after.lstrip(" \t"))
    return start, end + trailing, ""


def _applied(
    text: str, spans: list[tuple[int, int, str, Edit]], left: tuple[tuple[Edit, str], ...]
) -> Edited:
    out: list[str] = []
    changes: list[Change] = []
    done, removed = 0, 0
    for start, end, new, edit in sorted(spans, key=lambda s: (s[0], s[1])):
        if start < done:
            continue
        before = text.count("\n", 0, start) + 1
        out.append(text[done:start] + new)
        lost = text.count("\n", start, end)
        changes.append(Change(edit, before, None if lost else before - removed))
        removed += lost
        done = end
    out.append(text[done:])
    return Edited("".join(out), tuple(changes), left)


EDITOR = ShellEditor()
