"""A POSIX/bash lexer for the subset deployment scripts use, keeping the line of every word.

It knows quoting ('', "", $'', backslashes), `\\`-newline continuations, comments, parameter
expansions (${...}, $NAME), command substitutions ($(...), `...`), array assignments
(NAME=(...) and NAME+=(...)), here-documents (skipped) and the control operators that end a
simple command. It evaluates nothing: shell.py expands words against the script's variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PartKind = Literal["lit", "var", "subst"]


# Command substitutions and array assignments nest no deeper than this; deeper is an input
# error (a hostile script nested a million deep otherwise ran for minutes, then overflowed).
MAX_NESTING = 32


class ShellSyntaxError(ValueError):
    pass


class NestingTooDeep(ShellSyntaxError):
    pass


@dataclass(frozen=True, slots=True)
class Part:
    kind: PartKind
    text: str  # literal text; the inside of ${...} or the name of $NAME; raw $(...) text
    quoted: bool
    body: tuple[Token, ...] = ()  # a substitution's commands, lexed in the same pass


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]
    line: int
    # Offsets of the word's text in what was lexed, for editors (fix/shell.py); -1 when the
    # word was lexed from a copy (the body of a `...` substitution) or built by the reader.
    start: int = -1
    end: int = -1


@dataclass(frozen=True, slots=True)
class Op:
    text: str  # "\n", ";", "&&", "||", "|", "&", "(", ")", ";;"
    line: int


@dataclass(frozen=True, slots=True)
class ArrayAssign:
    name: str
    append: bool
    words: tuple[Word, ...]
    line: int


Token = Word | Op | ArrayAssign

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=$")
_SPECIAL_PARAMS = set("@*#?$!-0123456789")
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "e": "\x1b"}


class _Lexer:
    def __init__(self, text: str, first_line: int, depth: int = 0, offsets: bool = True) -> None:
        self.s = text
        self.offsets = offsets  # self.i is an offset in the text being lexed
        self.i = 0
        self.line = first_line
        self.heredocs: list[tuple[str, bool]] = []
        self.depth = depth  # substitutions and array assignments open around self.i

    def error(self, message: str) -> ShellSyntaxError:
        return ShellSyntaxError(f"{message} (line {self.line})")

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.s[j] if j < len(self.s) else ""

    def tokens(self, until: str | None = None) -> list[Token]:
        out: list[Token] = []
        parens = 0  # subshells opened inside a $( ... ) or NAME=( ... ) being read
        while self.i < len(self.s):
            c = self.s[self.i]
            if until is not None and c == until and not parens:
                self.i += 1
                return out
            if until is not None and c in "()":
                parens += 1 if c == "(" else -1
            if c in " \t":
                self.i += 1
            elif c == "\\" and self.peek(1) == "\n":
                self.i += 2
                self.line += 1
            elif c == "\n":
                out.append(Op("\n", self.line))
                self.i += 1
                self.line += 1
                self._skip_heredocs()
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif c in ";&|()":
                out.append(self._operator())
            elif c in "<>":
                self._redirection()
            else:
                out.append(self._word_or_array())
        if until is not None:
            raise self.error(f"missing {until!r}")
        return out

    def _operator(self) -> Op:
        two = self.s[self.i : self.i + 2]
        if two in ("&&", "||", ";;"):
            self.i += 2
            return Op(two, self.line)
        c = self.s[self.i]
        self.i += 1
        return Op(c, self.line)

    def _redirection(self) -> None:
        """Skip a redirection operator and its target word; remember here-documents."""
        start = self.i
        while self.peek() in ("<", ">", "&", "|", "-") and self.i - start < 3:
            self.i += 1
        op = self.s[start : self.i]
        if op.startswith("<<") and not op.startswith("<<<"):
            strip_tabs = op.endswith("-")
            while self.peek() in " \t":
                self.i += 1
            delimiter = self._word_or_array()
            text = "".join(p.text for p in delimiter.parts) if isinstance(delimiter, Word) else ""
            self.heredocs.append((text, strip_tabs))
            return
        while self.peek() in " \t":
            self.i += 1
        if self.peek() and self.peek() not in "\n;&|()":
            self._word_or_array()

    def _skip_heredocs(self) -> None:
        while self.heredocs:
            delimiter, strip_tabs = self.heredocs.pop(0)
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                body_line = self.s[self.i : end]
                self.i = min(end + 1, len(self.s))
                self.line += 1
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delimiter:
                    break

    def _word_or_array(self) -> Word | ArrayAssign:
        line, start = self.line, self.i
        parts: list[Part] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\n;&|<>":
                if c in "<>" and all(p.kind == "lit" and p.text.isdigit() for p in parts) and parts:
                    parts = []  # an IO number such as the 2 of 2>&1
                    self._redirection()
                    continue
                break
            if c in "()":
                prefix = (
                    "".join(p.text for p in parts) if all(p.kind == "lit" for p in parts) else ""
                )
                m = _ASSIGN_PREFIX.match(prefix)
                if c == "(" and m:
                    self.i += 1
                    words = tuple(t for t in self._nested_tokens() if isinstance(t, Word))
                    return ArrayAssign(m.group(1), bool(m.group(2)), words, line)
                break
            if c == "\\":
                if self.peek(1) == "\n":
                    self.i += 2
                    self.line += 1
                    continue
                parts.append(Part("lit", self.peek(1), True))
                self.i += 2
            elif c == "'":
                parts.append(Part("lit", self._single_quoted(), True))
            elif c == '"':
                parts.extend(self._double_quoted())
            elif c == "$":
                parts.append(self._dollar(quoted=False))
            elif c == "`":
                parts.append(self._backtick(quoted=False))
            else:
                start = self.i
                while self.i < len(self.s) and self.s[self.i] not in " \t\n;&|<>()\\'\"$`":
                    self.i += 1
                parts.append(Part("lit", self.s[start : self.i], False))
        if self.offsets:
            return Word(tuple(_merge(parts)), line, start, self.i)
        return Word(tuple(_merge(parts)), line)

    def _single_quoted(self) -> str:
        end = self.s.find("'", self.i + 1)
        if end < 0:
            raise self.error("unterminated single quote")
        text = self.s[self.i + 1 : end]
        self.line += text.count("\n")
        self.i = end + 1
        return text

    def _double_quoted(self) -> list[Part]:
        self.i += 1
        parts: list[Part] = []
        buf: list[str] = []
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated double quote")
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\" and self.peek(1) in '$`"\\\n':
                if self.peek(1) == "\n":
                    self.line += 1
                else:
                    buf.append(self.peek(1))
                self.i += 2
                continue
            if c in "$`":
                if buf:
                    parts.append(Part("lit", "".join(buf), True))
                    buf = []
                if c == "$":
                    parts.append(self._dollar(quoted=True))
                else:
                    parts.append(self._backtick(quoted=True))
                continue
            if c == "\n":
                self.line += 1
            buf.append(c)
            self.i += 1
        if buf or not parts:
            parts.append(Part("lit", "".join(buf), True))
        return parts

    def _dollar(self, quoted: bool) -> Part:
        nxt = self.peek(1)
        if nxt == "{":
            inner = self._balanced(self.i + 1, "{", "}")
            return Part("var", inner, quoted)
        if nxt == "(" and self.peek(2) != "(":
            return self._command_substitution(quoted)
        if nxt == "(":  # arithmetic $((...)): no commands to read
            start = self.i
            self._balanced(self.i + 1, "(", ")")
            return Part("subst", self.s[start : self.i], quoted)
        if nxt == "'" and not quoted:
            self.i += 1
            return Part("lit", self._ansi_c(), True)
        m = _NAME.match(self.s, self.i + 1)
        if m:
            self.i = m.end()
            return Part("var", m.group(0), quoted)
        if nxt and nxt in _SPECIAL_PARAMS:
            self.i += 2
            return Part("var", nxt, quoted)
        self.i += 1
        return Part("lit", "$", quoted)

    def _balanced(self, start: int, open_: str, close: str) -> str:
        depth = 0
        j = start
        quote = ""
        while j < len(self.s):
            c = self.s[j]
            if quote:
                if c == "\\" and quote == '"':
                    j += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c == "\\":
                j += 1
            elif c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    inner = self.s[start + 1 : j]
                    self.line += self.s.count("\n", self.i, j + 1)
                    self.i = j + 1
                    return inner
            j += 1
        raise self.error(f"unterminated {open_}")

    def _nested_tokens(self) -> list[Token]:
        """The tokens up to the `)` that closes what self.i is inside, one level deeper."""
        if self.depth >= MAX_NESTING:
            raise NestingTooDeep(f"nested deeper than {MAX_NESTING} levels (line {self.line})")
        self.depth += 1
        try:
            return self.tokens(until=")")
        finally:
            self.depth -= 1

    def _command_substitution(self, quoted: bool) -> Part:
        """$(...), its commands lexed in this pass. A body that does not lex (a stray quote
        the shell would also reject) keeps its raw text and runs nothing; that fallback
        rescans only an outermost substitution, so every character is read at most twice."""
        start, line, heredocs = self.i, self.line, list(self.heredocs)
        self.i += 2
        try:
            body = tuple(self._nested_tokens())
        except NestingTooDeep:
            raise
        except ShellSyntaxError:
            if self.depth:
                raise
            self.i, self.line, self.heredocs = start, line, heredocs
            self._balanced(self.i + 1, "(", ")")
            body = ()
        return Part("subst", self.s[start : self.i], quoted, body)

    def _backtick(self, quoted: bool) -> Part:
        end = self.i + 1
        while end < len(self.s) and self.s[end] != "`":
            end += 2 if self.s[end] == "\\" else 1
        if end >= len(self.s):
            raise self.error("unterminated backquote")
        text = self.s[self.i : end + 1]
        line = self.line
        self.line += text.count("\n")
        self.i = end + 1
        if self.depth >= MAX_NESTING:
            raise NestingTooDeep(f"nested deeper than {MAX_NESTING} levels (line {line})")
        try:
            body = tuple(
                _Lexer(substitution_body(text), line, self.depth + 1, offsets=False).tokens()
            )
        except NestingTooDeep:
            raise
        except ShellSyntaxError:
            body = ()
        return Part("subst", text, quoted, body)

    def _ansi_c(self) -> str:
        self.i += 1  # the opening quote
        out: list[str] = []
        while self.i < len(self.s) and self.s[self.i] != "'":
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(_ANSI_ESCAPES.get(self.s[self.i + 1], self.s[self.i + 1]))
                self.i += 2
                continue
            out.append(c)
            self.i += 1
        if self.i >= len(self.s):
            raise self.error("unterminated $'...' quote")
        self.i += 1
        return "".join(out)


def _merge(parts: list[Part]) -> list[Part]:
    """Join adjacent literal parts of the same quoting, so a word reads as few parts (joined
    once per run: adding them up one by one was quadratic in a run of escaped characters)."""
    out: list[Part] = []
    run: list[str] = []
    quoted = False
    for p in [*parts, Part("var", "", False)]:  # the sentinel ends the last run
        if p.kind == "lit" and (not run or p.quoted == quoted):
            run.append(p.text)
            quoted = p.quoted
            continue
        if run:
            out.append(Part("lit", "".join(run), quoted))
            run = []
        if p.kind == "lit":
            run.append(p.text)
            quoted = p.quoted
        else:
            out.append(p)
    return out[:-1]


def lex(text: str, first_line: int = 1) -> list[Token]:
    return _Lexer(text, first_line).tokens()


def substitution_body(text: str) -> str:
    """The commands inside $(...) or `...` (arithmetic $((...)) has none)."""
    if text.startswith("$((") or not text:
        return ""
    if text.startswith("$("):
        return text[2:-1]
    return text[1:-1].replace("\\`", "`")
