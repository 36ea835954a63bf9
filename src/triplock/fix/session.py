"""A fix run: audit, apply, audit again, until nothing more changes (a fix can make another
rule applicable: enabling network crypto asks for its cipher). Without writing, the same rounds
run on a copy of the tree, so that the diff shows exactly what --write would do."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from triplock.fix import apply, planner
from triplock.fix.apply import FileDiff
from triplock.fix.interface import Change
from triplock.fix.planner import Chmod
from triplock.fix.select import Selection
from triplock.model import AuditResult, Finding, InputError, Status

Auditor = Callable[[list[str]], AuditResult]
_ROUNDS = 5  # enough for every chain of rules today (two rounds); a bound, never a loop


@dataclass
class Outcome:
    files: dict[str, FileDiff] = field(default_factory=dict)  # path as given -> its diff
    changes: list[tuple[str, Change]] = field(default_factory=list)
    chmods: list[Chmod] = field(default_factory=list)
    left: list[tuple[Finding, str]] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def run(paths: list[str], audit: Auditor, selection: Selection, write: bool) -> Outcome:
    if write:
        return _rounds(paths, audit, selection, lambda p: p)
    with tempfile.TemporaryDirectory(prefix="triplock-fix-") as scratch:
        copies = _copy(paths, scratch)

        def back(path: str) -> str:
            for original, copy in zip(paths, copies, strict=True):
                if path == copy or path.startswith(copy + os.sep):
                    return original + path[len(copy) :]
            return path

        return _rounds(copies, audit, selection, back)


def _rounds(
    paths: list[str], audit: Auditor, selection: Selection, back: Callable[[str], str]
) -> Outcome:
    out = Outcome()
    left: list[tuple[Finding, str]] = []
    result = audit(paths)
    out.errors.extend(InputError(back(e.path), e.reason) for e in result.errors)
    for _ in range(_ROUNDS):
        prepared = apply.prepare(planner.plan(result, selection), paths)
        left.extend(prepared.left)
        out.errors.extend(InputError(back(e.path), e.reason) for e in prepared.errors)
        if not prepared.files and not prepared.chmods:
            break
        written = apply.write(prepared)
        out.errors.extend(InputError(back(e.path), e.reason) for e in written)
        for fix in prepared.files:
            path = back(fix.path)
            known = out.files.get(path)
            out.files[path] = FileDiff(fix.editor, known.before if known else fix.before, fix.after)
            out.changes.extend((path, change) for change in fix.changes)
        out.chmods.extend(Chmod(c.finding, back(c.path), c.mode) for c in prepared.chmods)
        result = audit(paths)
        if written:
            break  # a file that cannot be written would be planned again and again
    reasons = {_same(f): why for f, why in left}
    # A finding whose edit was the same as another's (collapsed by the planner) shares its why.
    twins = {_same_edit(f): why for f, why in left if f.fix is not None}
    out.left = [
        (
            _located(f, back),
            reasons.get(_same(f)) or twins.get(_same_edit(f)) or planner.why_left(f),
        )
        for f in result.findings
        if f.status is Status.FAIL and not f.baselined and selection.wants(f)
    ]
    return out


def _same(finding: Finding) -> tuple[str, str | None, int | None, str | None, str | None]:
    where, fix = finding.location, finding.fix
    return (finding.rule.id, where.path, where.line, where.object, fix.target if fix else None)


def _same_edit(finding: Finding) -> tuple[str | None, int | None, str | None, str | None]:
    """What an edit is about; a finding without a fix matches nothing (its rule id does)."""
    where, fix = finding.location, finding.fix
    if fix is None:
        return (finding.rule.id, None, None, None)
    return (where.path, where.line, fix.target, fix.value)


def _located(finding: Finding, back: Callable[[str], str]) -> Finding:
    from dataclasses import replace

    where = finding.location
    if where.path is None or back(where.path) == where.path:
        return finding
    return replace(finding, location=replace(where, path=back(where.path)))


def _copy(paths: list[str], scratch: str) -> list[str]:
    """Each audited path copied (symlinks kept as links, modes kept) under `scratch`."""
    copies: list[str] = []
    for i, path in enumerate(paths):
        dest = os.path.join(scratch, str(i), os.path.basename(os.path.abspath(path)))
        os.makedirs(os.path.dirname(dest))
        # A named path that is a link is copied as what it points to: a copied link would lead
        # the rounds back to the original files.
        source = os.path.realpath(path)
        if os.path.isdir(source):
            shutil.copytree(source, dest, symlinks=True)
        else:
            shutil.copy2(source, dest)
        copies.append(dest)
    return copies
