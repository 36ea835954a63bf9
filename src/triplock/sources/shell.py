"""Shell scripts and command lines: every simple command, and the Spark launches among them.

Variables assigned in the script (strings and arrays, `export`/`declare`/`local` too) are
expanded where they are used, with word splitting for unquoted expansions, so that
`CONF="--conf a=b"; spark-submit $CONF` and `ARGS+=(--conf a=b); spark-submit "${ARGS[@]}"`
are seen as the launches they are. Control flow is read straight through (both branches of an
`if` assign), which over-approximates what runs: documented in docs/architecture.md.
A variable the script does not assign stays as written and makes the value templated.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field, replace
from typing import ClassVar

from triplock.facts.shell import Arg, ShellCommand, clusters_flag, launch_start, wrapper_start
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory, is_templated, shared
from triplock.sources.interface import SCRIPT, InputFile, SourceError
from triplock.sources.shell_lexer import (
    ArrayAssign,
    Op,
    ShellSyntaxError,
    Word,
    lex,
    substitution_body,
)
from triplock.sources.spark_submit import spark_app_from_argv

_SHELL_SUFFIXES = (".sh", ".bash", ".ksh", ".zsh", ".cmd", ".command")
_SHEBANG = re.compile(r"^#!\s*\S*(?:/|\s)(?:env\s+)?(?:ba|da|k|z)?sh\b")
_LAUNCH_LINE = re.compile(
    r"^[^\S\n]*(?:\S*/)?(?:spark-submit|pyspark|spark-sql|spark-shell|sparkR)\b|"
    r"org\.apache\.spark\.deploy\.SparkSubmit",
    re.MULTILINE,
)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "esac"}
)
_SKIP_WHOLE = frozenset({"for", "select", "case", "function"})
_DECLARERS = frozenset({"export", "declare", "typeset", "local", "readonly"})
_WRAPPERS = frozenset({"exec", "nohup", "time", "command", "builtin", "eval"})
_VAR_DEFAULT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(:?[-=])(.*)$", re.DOTALL)
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR_INDEX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[([@*])\]$")


class _Var:
    """A variable's value: array elements, or one string. `A+=x` on a string is kept as a
    piece, and the pieces are joined when the value is next read (joining on every `+=` was
    quadratic in a run of appends)."""

    def __init__(self, elements: list[Arg], is_array: bool = False) -> None:
        self._elements = elements
        self.is_array = is_array
        self._appended: list[Arg] = []

    @property
    def elements(self) -> list[Arg]:
        self._settle()
        return self._elements

    def append_text(self, value: Arg) -> None:
        self._appended.append(value)

    def joined(self) -> Arg:
        self._settle()
        return _joined(self._elements)

    def _settle(self) -> None:
        if self._appended:
            old = _joined(self._elements)
            text = old.text + "".join(a.text for a in self._appended)
            templated = old.templated or any(a.templated for a in self._appended)
            self._elements = [Arg(text, old.line, templated)]
            self._appended = []

    def pieces(self) -> list[Arg]:
        """Unquoted expansion: every element split on whitespace; a piece is templated only
        if it holds an unknown part itself."""
        return [
            Arg(piece, element.line, element.templated and is_templated(piece), element.refs)
            for element in (self.elements if self.is_array else [self.joined()])
            for piece in element.text.split()
        ]


def _joined(elements: list[Arg]) -> Arg:
    if not elements:
        return Arg("", None)
    return Arg(
        " ".join(a.text for a in elements),
        elements[0].line,
        any(a.templated for a in elements),
        tuple(r for a in elements for r in a.refs),
    )


class _Fields:
    """Builds the fields of one word's expansion, keeping each field's line and references."""

    def __init__(self, word_line: int) -> None:
        self.word_line = word_line
        self.fields: list[Arg] = []
        self._reset()

    def _reset(self) -> None:
        self.text: list[str] = []
        self.templated = False
        self.line: int | None = None  # where a field made only of variable content was written
        self.literal = False
        self.started = False
        self.refs: list[str] = []

    def add_literal(self, text: str, quoted: bool) -> None:
        self.text.append(text)
        self.literal = self.literal or bool(text)
        self.started = self.started or quoted or bool(text)

    def add(self, arg: Arg) -> None:
        self.text.append(arg.text)
        self.templated = self.templated or arg.templated
        self.line = self.line or arg.line
        self.refs.extend(arg.refs)
        self.started = True

    def close(self) -> None:
        if self.started:
            where = self.word_line if self.literal or self.line is None else self.line
            text = shared("".join(self.text))
            self.fields.append(Arg(text, where, self.templated, tuple(self.refs)))
        self._reset()


def _with_ref(arg: Arg, ref: str) -> Arg:
    return Arg(arg.text, arg.line, arg.templated, (*arg.refs, ref))


def _compact_substitution(text: str) -> str:
    """$(cmd args...) shown as one whitespace-free token, so word splitting keeps it whole."""
    words = substitution_body(text).split(maxsplit=1)
    first = words[0] if words else ""
    return f"$({first}…)" if first else "$(…)"


@dataclass
class _Interpreter:
    path: str
    xtrace: bool = False
    env: dict[str, _Var] = field(default_factory=dict)
    commands: list[ShellCommand] = field(default_factory=list)

    def run(self, tokens: list[Word | Op | ArrayAssign]) -> None:
        items: list[Word | ArrayAssign] = []
        for token in tokens:
            if isinstance(token, Op):
                self._simple(items)
                items = []
            else:
                items.append(token)
        self._simple(items)

    def _simple(self, items: list[Word | ArrayAssign]) -> None:
        self.run_substitutions(items)
        # Indexes, not items[1:] per word: slicing in a loop is quadratic in a long command.
        start = 0
        while start < len(items) and _literal(items[start]) in _KEYWORDS:
            start += 1
        items = items[start:]
        if not items or _literal(items[0]) in _SKIP_WHOLE:
            return
        count = 0
        while count < len(items) and (
            isinstance(items[count], ArrayAssign) or _assignment_name(items[count])
        ):
            count += 1
        assignments, items = items[:count], items[count:]
        if not items:
            for a in assignments:
                self._assign(a)
            return
        argv: list[Arg] = []
        for item in items:
            if isinstance(item, ArrayAssign):
                self._assign(item)
            else:
                argv.extend(self.expand(item))
        argv = _strip_wrappers(argv)
        if not argv:
            return
        program = argv[0].text
        if program in _DECLARERS:
            for item in items[1:]:
                if isinstance(item, ArrayAssign) or _assignment_name(item):
                    self._assign(item)
            return
        if program == "set":
            self._set(argv[1:])
        self.commands.append(ShellCommand(tuple(argv), self.path, argv[0].line, self.xtrace))

    def _set(self, args: list[Arg]) -> None:
        texts = [a.text for a in args]
        for i, t in enumerate(texts):
            if clusters_flag(t, "x") or (
                t == "-o" and i + 1 < len(texts) and texts[i + 1] == "xtrace"
            ):
                self.xtrace = True
            elif clusters_flag(t, "x", sign="+") or (
                t == "+o" and i + 1 < len(texts) and texts[i + 1] == "xtrace"
            ):
                self.xtrace = False

    def _assign(self, item: Word | ArrayAssign) -> None:
        if isinstance(item, ArrayAssign):
            elements = [arg for w in item.words for arg in self.expand(w)]
            if item.append and item.name in self.env:
                self.env[item.name].elements.extend(elements)
                self.env[item.name].is_array = True
            else:
                self.env[item.name] = _Var(elements, is_array=True)
            return
        name = _assignment_name(item)
        assert name is not None
        first = item.parts[0]
        m = _ASSIGNMENT.match(first.text)
        assert m is not None
        rest = first.text[m.end() :]
        value_word = Word(
            ((type(first)(first.kind, rest, first.quoted),) if rest else ()) + item.parts[1:],
            item.line,
        )
        values = self.expand(value_word, split=False)
        value = values[0] if values else Arg("", item.line)
        if m.group(2) and name in self.env:
            var = self.env[name]
            if var.is_array:
                var.elements.append(value)
            else:
                var.append_text(value)
        else:
            self.env[name] = _Var([value])

    def expand(self, word: Word, split: bool = True) -> list[Arg]:
        """The fields a word expands to (one when `split` is False, as in an assignment)."""
        out = _Fields(word.line)
        for part in word.parts:
            if part.kind == "lit":
                out.add_literal(part.text, part.quoted)
                continue
            if part.kind == "subst":
                out.add(Arg(_compact_substitution(part.text), None, True))
                continue
            var, shown, elements_as_fields = self._lookup(part.text)
            name = _VAR_NAME.match(part.text)
            ref = name.group(0) if name else part.text
            if var is None:
                out.add(Arg(shown, None, True, (ref,)))
            elif part.quoted and elements_as_fields:
                for k, element in enumerate(var.elements):
                    if k:
                        out.close()
                    out.add(_with_ref(element, ref))
            elif part.quoted or not split:
                out.add(_with_ref(var.joined(), ref))
            else:
                for k, piece in enumerate(var.pieces()):
                    if k:
                        out.close()
                    out.add(_with_ref(piece, ref))
        out.close()
        fields = out.fields
        if not split:
            merged = " ".join(f.text for f in fields)
            templated = any(f.templated for f in fields)
            refs = tuple(r for f in fields for r in f.refs)
            line = fields[0].line if fields else word.line
            fields = [Arg(merged, line, templated, refs)]
        return fields

    def run_substitutions(self, items: list[Word | ArrayAssign]) -> None:
        """Commands inside $(...) and `...` run too (curl -k inside a substitution counts)."""
        words = [
            w for item in items for w in (item.words if isinstance(item, ArrayAssign) else [item])
        ]
        for word in words:
            for part in word.parts:
                if part.body:
                    self.run(list(part.body))

    def _lookup(self, inner: str) -> tuple[_Var | None, str, bool]:
        """The variable an expansion names, how to show it when unknown, and whether its
        elements become separate fields ("${A[@]}")."""
        if _is_simple_name(inner):
            shown = "$" + inner if not inner.startswith("{") else inner
            return self.env.get(inner), "${" + inner + "}" if len(inner) > 1 else shown, False
        m = _VAR_INDEX.match(inner)
        if m:
            return self.env.get(m.group(1)), "${" + inner + "}", m.group(2) == "@"
        m = _VAR_DEFAULT.match(inner)
        if m:
            var = self.env.get(m.group(1))
            if var is not None:
                return var, "", False
            default = m.group(3)
            return _Var([Arg(default, None, is_templated(default))]), "", False
        return None, "${" + inner + "}", False


def _is_simple_name(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[@*#?$!0-9-]", text))


def _literal(word: Word | ArrayAssign) -> str | None:
    if isinstance(word, Word) and all(p.kind == "lit" for p in word.parts):
        return "".join(p.text for p in word.parts)
    return None


def _assignment_name(item: Word | ArrayAssign) -> str | None:
    if isinstance(item, ArrayAssign) or not item.parts:
        return None
    first = item.parts[0]
    if first.kind != "lit" or first.quoted:
        return None
    m = _ASSIGNMENT.match(first.text)
    return m.group(1) if m else None


def _strip_wrappers(argv: list[Arg]) -> list[Arg]:
    """Drop exec/nohup/sudo/env/nice prefixes so argv[0] is the program that runs."""
    i = 0  # an index, not argv[1:] per word: slicing in a loop is quadratic
    while i < len(argv):
        program = posixpath.basename(argv[i].text)
        if program in _WRAPPERS:
            i += 1
        elif program == "sudo":
            i += 1
            while i < len(argv) and argv[i].text.startswith("-"):
                i += 2 if argv[i].text in ("-u", "-g", "-C", "-h", "-p", "-U") else 1
        elif program == "env":
            i += 1
            while i < len(argv) and (
                argv[i].text.startswith("-") or _ASSIGNMENT.match(argv[i].text)
            ):
                i += 1
        elif program == "nice":
            i += 1
            if i < len(argv) and argv[i].text == "-n":
                i += 2
        else:
            break
    return argv[i:]


def read_script(text: str, path: str) -> tuple[list[ShellCommand], list[SparkApp]]:
    """Every command of a script and the SparkApps of its Spark launches."""
    try:
        tokens = lex(text)
    except ShellSyntaxError as e:
        raise SourceError(f"shell syntax: {e}") from e
    first_line = text.split("\n", 1)[0]
    interpreter = _Interpreter(path, xtrace=first_line.startswith("#!") and " -x" in first_line)
    interpreter.run(tokens)
    apps: list[SparkApp] = []
    for command in interpreter.commands:
        argv = command.argv
        start = launch_start(argv)
        wrapper = start is None
        if wrapper:
            start = wrapper_start(argv)
        if start is not None:
            args, line = list(command.args), command.line
            apps.append(spark_app_from_argv(args, start, path, line, wrapper=wrapper))
    return interpreter.commands, apps


class ShellSource:
    kind: ClassVar[str] = "shell"
    priority: ClassVar[int] = SCRIPT

    def claims(self, file: InputFile) -> bool:
        if file.is_binary:
            return False
        if file.name.endswith(_SHELL_SUFFIXES):
            return True
        head = file.data[:256].decode("utf-8", "replace")
        if _SHEBANG.match(head):
            return True
        # A bare command line (a file or stdin holding a spark-submit invocation).
        suffix = posixpath.splitext(file.name)[1]
        return suffix in ("", ".txt", ".cmdline") and bool(_LAUNCH_LINE.search(file.text))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        commands, apps = read_script(file.text, file.path)
        for command in commands:
            inventory.add(
                replace(command, args=inventory.one(tuple(map(inventory.one, command.args))))
            )
        for app in apps:
            inventory.add(app)
        read_heredoc_manifests(file, inventory)
        read_imperative_rbac(commands, file.path, inventory)

    def link(self, inventory: Inventory) -> None:
        link_properties_files(inventory)


def read_heredoc_manifests(file: InputFile, inventory: Inventory) -> None:
    """Manifests piped to kubectl from here-documents; a bad one is an error of its own."""
    from triplock.sources.kube_yaml import read_manifests
    from triplock.sources.shell_heredoc import manifest_heredocs

    for doc in manifest_heredocs(file.text):
        try:
            read_manifests(doc.padded(), file.path, inventory)
        except SourceError as e:
            inventory.record_error(
                file.path, f"manifest in here-document at line {doc.first_line}: {e}"
            )


def read_imperative_rbac(commands: list[ShellCommand], path: str, inventory: Inventory) -> None:
    """Roles and bindings made by `kubectl create ...`, read as the manifests kubectl sends."""
    from triplock.sources.kube_yaml import read_manifests
    from triplock.sources.shell_kubectl import imperative_rbac

    for line, manifest in imperative_rbac(commands):
        try:
            read_manifests(manifest, path, inventory)
        except SourceError as e:
            inventory.record_error(path, f"kubectl create at line {line}: {e}")


def link_properties_files(inventory: Inventory) -> None:
    """Layer each launch on the properties file it loads, and retire files so consumed.

    `--properties-file F` resolved inside the tree (relative to the script, or by a unique
    file name for absolute container paths); without it spark-submit loads
    $SPARK_CONF_DIR/spark-defaults.conf, taken to be the tree's spark-defaults.conf when there
    is exactly one. A file that cannot be found makes the launch `partial`.
    """
    apps = inventory.of(SparkApp)
    files = _PropertiesFiles([a for a in apps if a.kind is SparkOrigin.DEFAULTS_FILE])
    consumed: dict[int, SparkApp] = {}
    for app in apps:
        if app.kind is not SparkOrigin.SUBMIT_COMMAND:
            continue
        base = files.base_for(app)
        if base is None:
            continue
        merged = dict(base.settings)
        app.shadowed = (*app.shadowed, *(merged[k] for k in app.settings if k in merged))
        merged.update(app.settings)
        app.settings = merged
        app.base = base.name
        inventory.changed(app)
        consumed[id(base)] = base
    inventory.remove_all(consumed.values())


class _PropertiesFiles:
    """The tree's properties files, indexed by normalised path and by file name."""

    def __init__(self, files: list[SparkApp]) -> None:
        self.by_path = {os.path.normpath(f.name): f for f in files}
        self.by_name: dict[str, list[SparkApp]] = {}
        for f in files:
            self.by_name.setdefault(_basename(f.name), []).append(f)

    def base_for(self, app: SparkApp) -> SparkApp | None:
        if not app.properties_files:
            defaults = self.by_name.get("spark-defaults.conf", [])
            return defaults[0] if len(defaults) == 1 else None
        given = app.properties_files[-1]
        found = None if given.templated else self._resolve(given.value, app.origin.path or "")
        if found is None:
            app.partial = True
        return found

    def _resolve(self, path: str, script: str) -> SparkApp | None:
        if not posixpath.isabs(path):
            wanted = os.path.normpath(os.path.join(os.path.dirname(script), path))
            if wanted in self.by_path:
                return self.by_path[wanted]
        same_name = self.by_name.get(posixpath.basename(path), [])
        return same_name[0] if len(same_name) == 1 else None


def _basename(path: str) -> str:
    return posixpath.basename(path.replace(os.sep, "/"))


SOURCE = ShellSource()
