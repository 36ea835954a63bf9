"""Run a plan: read each file once, let its editor compute the new text, show the changes as
a unified diff (secret values masked), and write them."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from triplock.fix import editor_for
from triplock.fix.interface import Change, Editor, EditorError, physical_lines
from triplock.fix.material.interface import Generated
from triplock.fix.planner import Chmod, Created, Plan, inside
from triplock.fix.write import WriteRefused, check_writable, chmod, digest, write_atomic
from triplock.keys.files import ExistsError, os_error_text, write_public, write_secret
from triplock.model import Finding, InputError

_BOM = b"\xef\xbb\xbf"


@dataclass
class FileFix:
    path: str  # as the audit names it
    real: str  # symlinks resolved, inside the audited tree
    editor: Editor
    bom: bool
    before: str
    after: str
    read_digest: str
    changes: tuple[Change, ...]


@dataclass
class FileDiff:
    """A file's text before the first change and after the last; a created file has no
    editor (it holds no secret: those go under --secrets-dir and are never shown)."""

    editor: Editor | None
    before: str
    after: str
    new: bool = False


@dataclass
class Prepared:
    files: list[FileFix] = field(default_factory=list)
    chmods: list[Chmod] = field(default_factory=list)
    created: dict[str, Created] = field(default_factory=dict)
    generated: list[Generated] = field(default_factory=list)
    left: list[tuple[Finding, str]] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def prepare(plan: Plan, roots: list[str], secrets_dir: str | None = None) -> Prepared:
    out = Prepared(left=list(plan.left))
    _prepare_created(plan, roots, secrets_dir, out)
    out.generated = [g for g in plan.generated if g.path in out.created]
    for path, edits in plan.edits.items():
        if not inside(path, roots):
            out.errors.append(InputError(path, "not changed: it resolves outside the audited tree"))
            continue
        editor = editor_for(plan.kinds[path])
        assert editor is not None  # the planner only plans paths with an editor
        real = os.path.realpath(path)
        try:
            with open(real, "rb") as handle:
                data = handle.read()
            bom = data.startswith(_BOM)
            text = data[len(_BOM) if bom else 0 :].decode("utf-8")
            edited = editor.apply(text, plan.kinds[path], edits)
        except (OSError, UnicodeDecodeError, EditorError) as e:
            out.errors.append(InputError(path, f"not changed: {_reason(e)}"))
            continue
        out.left.extend((edit.finding, why) for edit, why in edited.left)
        if edited.text != text:
            out.files.append(
                FileFix(path, real, editor, bom, text, edited.text, digest(data), edited.changes)
            )
    seen: set[str] = set()
    for change in plan.chmods:
        real = os.path.realpath(change.path)
        if real in seen:
            continue
        seen.add(real)
        if not inside(change.path, roots) or os.path.islink(change.path):
            out.errors.append(InputError(change.path, "not changed: a link or outside the tree"))
        elif os.path.exists(change.path) and _mode(change.path) != change.mode:
            out.chmods.append(change)
    return out


def _prepare_created(plan: Plan, roots: list[str], secrets_dir: str | None, out: Prepared) -> None:
    """The files to create: secrets only under `secrets_dir`, others only inside the tree; one
    already there with the same content is done, one with other content is never replaced."""
    for path, created in plan.created.items():
        home = [secrets_dir] if created.secret and secrets_dir else roots
        if not inside(path, home):
            out.errors.append(InputError(path, "not created: outside the tree and --secrets-dir"))
            continue
        try:
            with open(path, "rb") as handle:
                there = handle.read()
        except FileNotFoundError:
            out.created[path] = created
            continue
        except OSError as e:
            out.errors.append(InputError(path, f"not created: {_reason(e)}"))
            continue
        if there != created.data:
            out.errors.append(InputError(path, "not created: a different file is there"))


def write(prepared: Prepared) -> list[InputError]:
    """Write every prepared change, or none: fixes in different files depend on each other
    (a KMS reached over https and the KMS serving TLS), so when one file cannot be written
    (read-only, changed since it was read) nothing is, and each file says why."""
    errors = _refusals(prepared)
    if errors:
        return errors
    for path, created in prepared.created.items():
        writer = write_secret if created.secret else write_public
        try:
            writer(Path(path), created.data)
        except ExistsError:
            errors.append(InputError(path, "not created: a file appeared there meanwhile"))
        except OSError as e:
            errors.append(InputError(path, f"not created: {os_error_text(e)}"))
    for fix in prepared.files:
        data = (_BOM if fix.bom else b"") + fix.after.encode("utf-8")
        try:
            write_atomic(fix.real, data, fix.read_digest)
        except WriteRefused as e:
            errors.append(InputError(fix.path, f"not changed: {e}"))
    for change in prepared.chmods:
        try:
            chmod(change.path, change.mode)
        except (OSError, WriteRefused) as e:
            errors.append(InputError(change.path, f"mode not changed: {_reason(e)}"))
    return errors


def _refusals(prepared: Prepared) -> list[InputError]:
    refused: list[InputError] = []
    for fix in prepared.files:
        try:
            check_writable(fix.real, fix.read_digest)
        except WriteRefused as e:
            refused.append(InputError(fix.path, f"not changed: {e}"))
    if not refused:
        return []
    blocked = "not changed: another file cannot be written, so nothing was (see its error)"
    named = {e.path for e in refused}
    refused.extend(InputError(f.path, blocked) for f in prepared.files if f.path not in named)
    refused.extend(InputError(c.path, blocked) for c in prepared.chmods)
    refused.extend(InputError(path, blocked) for path in prepared.created)
    return refused


def diff(files: dict[str, FileDiff], chmods: list[Chmod]) -> str:
    """The changes as a unified diff, secret values masked by each file's editor."""
    parts: list[str] = []
    for path, change in files.items():
        before, after = physical_lines(change.before), physical_lines(change.after)
        masked = change.editor.masked if change.editor else str
        shown_before = physical_lines(masked(change.before))
        shown_after = physical_lines(masked(change.after))
        parts.append(f"--- {'/dev/null' if change.new else path}\n+++ {path}\n")
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for group in matcher.get_grouped_opcodes(3):
            parts.append(_hunk(group, shown_before, shown_after))
    parts.extend(f"chmod {c.mode:04o} {c.path}\n" for c in chmods)
    return "".join(parts)


def _hunk(group: list[tuple[str, int, int, int, int]], before: list[str], after: list[str]) -> str:
    first, last = group[0], group[-1]
    a0, a1, b0, b1 = first[1], last[2], first[3], last[4]
    lines = [f"@@ -{_range(a0, a1)} +{_range(b0, b1)} @@\n"]
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            lines.extend(" " + _ended(line) for line in before[i1:i2])
            continue
        lines.extend("-" + _ended(line) for line in before[i1:i2])
        lines.extend("+" + _ended(line) for line in after[j1:j2])
    return "".join(lines)


def _range(start: int, end: int) -> str:
    length = end - start
    return f"{start + 1 if length else start},{length}"


def _ended(line: str) -> str:
    if line.endswith(("\n", "\r")):
        return line.rstrip("\r\n") + "\n"
    return line + "\n\\ No newline at end of file\n"


def _mode(path: str) -> int:
    return os.lstat(path).st_mode & 0o7777


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(error)
