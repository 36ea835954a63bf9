"""A fix run: audit, apply, audit again, until nothing more changes (a fix can make another
rule applicable: enabling network crypto asks for its cipher). Without writing, the same rounds
run on a copy of the tree (and of --secrets-dir, where material is generated), so that the diff
shows exactly what --write would do and where it would generate what."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from triplock.fix import apply, planner
from triplock.fix.apply import FileDiff
from triplock.fix.interface import Change
from triplock.fix.material.interface import Generated, MaterialOptions
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
    generated: list[Generated] = field(default_factory=list)  # under --secrets-dir or the tree
    left: list[tuple[Finding, str]] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def run(
    paths: list[str],
    audit: Auditor,
    selection: Selection,
    write: bool,
    options: MaterialOptions | None = None,
) -> Outcome:
    options = options or MaterialOptions()
    if write:
        return _rounds(paths, audit, selection, options, _Back([]))
    with tempfile.TemporaryDirectory(prefix="triplock-fix-") as scratch:
        copies = _copy(paths, scratch)
        pairs = list(zip(paths, copies, strict=True))
        if options.secrets_dir is not None:
            staging = os.path.join(scratch, "secrets")
            if os.path.isdir(options.secrets_dir):  # material already there is reused
                shutil.copytree(options.secrets_dir, staging, symlinks=True)
            pairs.append((options.secrets_dir, staging))
            options = replace(options, secrets_dir=staging)
        return _rounds(copies, audit, selection, options, _Back(pairs))


@dataclass(frozen=True)
class _Back:
    """From the scratch copies of a dry run back to the paths the user gave."""

    pairs: list[tuple[str, str]]  # (original, its copy)

    def __call__(self, path: str) -> str:
        for original, copy in self.pairs:
            if path == copy or path.startswith(copy + os.sep):
                return original + path[len(copy) :]
        return path

    def text(self, text: str) -> str:
        """`text` with every copy's path (a generated file a setting names) as the original."""
        for original, copy in self.pairs:
            text = text.replace(copy, original)
        return text


def _rounds(
    paths: list[str],
    audit: Auditor,
    selection: Selection,
    options: MaterialOptions,
    back: _Back,
) -> Outcome:
    out = Outcome()
    left: list[tuple[Finding, str]] = []
    result = audit(paths)
    out.errors.extend(InputError(back(e.path), e.reason) for e in result.errors)
    for _ in range(_ROUNDS):
        plan = planner.plan(result, selection, options)
        prepared = apply.prepare(plan, paths, options.secrets_dir)
        left.extend(prepared.left)
        out.errors.extend(InputError(back(e.path), e.reason) for e in prepared.errors)
        if not prepared.files and not prepared.chmods and not prepared.created:
            break
        written = apply.write(prepared)
        out.errors.extend(InputError(back(e.path), e.reason) for e in written)
        _record(prepared, back, out)
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


def _record(prepared: apply.Prepared, back: _Back, out: Outcome) -> None:
    for fix in prepared.files:
        path = back(fix.path)
        known = out.files.get(path) or FileDiff(fix.editor, fix.before, "")
        out.files[path] = replace(known, after=back.text(fix.after))
        out.changes.extend((path, change) for change in fix.changes)
    for where, created in prepared.created.items():
        if not created.secret:  # shown as a new file; secrets never are
            text = created.data.decode("utf-8", errors="replace")
            out.files[back(where)] = FileDiff(None, "", back.text(text), new=True)
    out.chmods.extend(Chmod(c.finding, back(c.path), c.mode) for c in prepared.chmods)
    out.generated.extend(Generated(back(g.path), back.text(g.what)) for g in prepared.generated)


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
    where = finding.location
    if where.path is None or back(where.path) == where.path:
        return finding
    return finding.replace(location=where._replace(path=back(where.path)))


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
