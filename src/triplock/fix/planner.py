"""From an audit's findings to the edits of each file: which failures have a fix triplock can
apply, one edit per key and file (conflicts resolved), and why the others are left."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

from triplock.fix import editor_for
from triplock.fix.interface import Edit
from triplock.fix.material import all_providers
from triplock.fix.material.interface import Generated, MaterialOptions, Provided, Provider
from triplock.fix.select import Selection
from triplock.model import AuditResult, Finding, FixAction, Status

_PLACEHOLDER = re.compile(r"^<[^>]*>$")  # a value the rule cannot know: `<owner users/groups>`


@dataclass(frozen=True, slots=True)
class Chmod:
    finding: Finding
    path: str
    mode: int


@dataclass(frozen=True, slots=True)
class Created:
    """A file to create that does not exist yet: `secret` ones go under --secrets-dir, 0600."""

    data: bytes
    secret: bool


@dataclass
class Plan:
    edits: dict[str, list[Edit]] = field(default_factory=dict)  # path -> its edits, in order
    kinds: dict[str, str] = field(default_factory=dict)  # path -> input kind
    chmods: list[Chmod] = field(default_factory=list)
    created: dict[str, Created] = field(default_factory=dict)  # path -> what to create there
    generated: list[Generated] = field(default_factory=list)
    left: list[tuple[Finding, str]] = field(default_factory=list)  # not applied, with why


def plan(
    result: AuditResult,
    selection: Selection,
    options: MaterialOptions | None = None,
    providers: list[Provider] | None = None,
) -> Plan:
    """The plan for `result`'s selected failures: those of a provider's rules go to that
    provider (with `options`), the others through their own Fix."""
    options = options or MaterialOptions()
    providers = all_providers() if providers is None else providers
    kinds = {record.path: record.kind for record in result.inputs}
    out = Plan()
    wanted: dict[str, list[Edit]] = defaultdict(list)
    answered: dict[int, list[Finding]] = defaultdict(list)  # provider index -> its failures
    for finding in result.findings:
        if finding.status is not Status.FAIL or finding.baselined:
            continue
        if not selection.wants(finding):
            continue
        which = _provider_of(finding, providers)
        if which is not None and finding.waiver is None:
            answered[which].append(finding)
            continue
        why = _why_not(finding, kinds)
        if why is not None:
            out.left.append((finding, why))
            continue
        fix = finding.fix
        assert fix is not None
        if fix.action is FixAction.CHMOD:
            out.chmods.append(Chmod(finding, fix.target, int(fix.value or "0600", 8)))
            continue
        path = _path(finding)
        wanted[path].append(Edit(finding, fix.action, fix.target, fix.value))
        out.kinds[path] = kinds[path]
    for which, failures in answered.items():
        _merge(providers[which].provide(failures, result, options), options, kinds, wanted, out)
    for path, edits in wanted.items():
        editor = editor_for(out.kinds[path])
        kept, conflicts = _one_per_key(edits, getattr(editor, "per_command", False))
        out.edits[path] = kept
        out.left.extend(conflicts)
    return out


def _provider_of(finding: Finding, providers: list[Provider]) -> int | None:
    for i, provider in enumerate(providers):
        if finding.rule.id in provider.rules:
            return i
    return None


def _merge(
    provided: Provided,
    options: MaterialOptions,
    kinds: dict[str, str],
    wanted: dict[str, list[Edit]],
    out: Plan,
) -> None:
    """A provider's answer into the plan: its edits join the others (one per key and file),
    its files are created, an edit of a file triplock cannot edit is left with why."""
    out.left.extend(provided.left)
    for path, edits in provided.edits.items():
        kind = kinds.get(path)
        if kind is None or editor_for(kind) is None:
            why = f"no editor for {kind} files yet" if kind else "the file is not an input"
            out.left.extend((edit.finding, why) for edit in edits)
            continue
        wanted[path].extend(edits)
        out.kinds[path] = kind
    for path, content in provided.created.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        secret = options.secrets_dir is not None and inside(path, [options.secrets_dir])
        out.created[path] = Created(data, secret)
    known = {g.path for g in out.generated}
    out.generated.extend(g for g in provided.generated if g.path not in known)


def why_left(finding: Finding) -> str:
    """Why a failure the re-audit still shows was not fixed automatically."""
    if finding.waiver is not None:
        return f"waived: {finding.waiver.reason}"
    if finding.fix is None:
        return f"no automatic fix: {finding.rule.remediation}"
    if finding.fix.action is FixAction.MANUAL:
        return f"manual step: {finding.fix.target}"
    return "not applied"


def _why_not(finding: Finding, kinds: dict[str, str]) -> str | None:
    fix = finding.fix
    if finding.waiver is not None or fix is None or fix.action is FixAction.MANUAL:
        return why_left(finding)
    if fix.action is FixAction.REPLACE:
        return f"needs a value only you know: replace {fix.target} with {fix.value}"
    if fix.value is not None and _PLACEHOLDER.match(fix.value):
        return f"needs a value only you know: {fix.target} = {fix.value}"
    if fix.action is FixAction.CHMOD:
        return None if fix.value and _is_mode(fix.value) else "no file mode given"
    path = _path(finding)
    if path not in kinds or path == "-":
        return "the file is not one of the inputs (stdin or another file)"
    if editor_for(kinds[path]) is None:
        return f"no editor for {kinds[path]} files yet"
    return None


def _is_mode(text: str) -> bool:
    return len(text) in (3, 4) and all(c in "01234567" for c in text)


def _path(finding: Finding) -> str:
    fix = finding.fix
    return (fix.path if fix is not None and fix.path else None) or finding.location.path or "-"


def _one_per_key(
    edits: list[Edit], per_command: bool
) -> tuple[list[Edit], list[tuple[Finding, str]]]:
    """Identical edits of one key collapse into one; when they disagree, the most severe
    finding's edit wins and the others are left, saying which rule won. An editor whose fixes
    are about one command (`per_command`, a script's) keeps one per key and command line."""
    by_key: dict[tuple[str, int | None], list[Edit]] = defaultdict(list)
    for edit in edits:
        by_key[edit.key, edit.finding.location.line if per_command else None].append(edit)
    kept: list[Edit] = []
    left: list[tuple[Finding, str]] = []
    for same in by_key.values():
        winner = max(same, key=lambda e: (e.finding.severity.rank, _neg_id(e)))
        kept.append(winner)
        for edit in same:
            if (edit.action, edit.value) != (winner.action, winner.value):
                left.append(
                    (
                        edit.finding,
                        f"conflicts with {winner.finding.rule.id}, whose fix of "
                        f"{edit.key} was applied",
                    )
                )
    return kept, left


def _neg_id(edit: Edit) -> tuple[int, ...]:
    """Lower rule ids win ties: a stable order whatever the findings' order."""
    return tuple(-ord(c) for c in edit.finding.rule.id)


def inside(path: str, roots: list[str]) -> bool:
    """Whether `path`, symlinks resolved, lies inside one of the audited `roots`."""
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False
