"""audit(): inputs -> sources -> Inventory -> rules -> findings -> checklist -> AuditResult."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from triplock.controls import CONTROLS
from triplock.inventory import Inventory, RunOptions
from triplock.model import (
    AuditResult,
    ControlStatus,
    Evidence,
    Finding,
    Fix,
    InputError,
    Location,
    RuleMeta,
    Severity,
    Status,
    Verdict,
)
from triplock.rules.registry import Context, Outcome, Rule, Scope, all_rules, rules_in
from triplock.safe_read import DEFAULT_MAX_BYTES
from triplock.sources import all_sources
from triplock.sources.discovery import STDIN, discover

if TYPE_CHECKING:
    from triplock.workers import Prejudged

# Steps that run on the findings after the rules (waivers, for one); each may edit the result.
PostStep = Callable[[AuditResult, "AuditOptions"], None]
JOBS_AUTO = 0  # AuditOptions.jobs: decided from the inputs (workers.read_on_workers)
# What one rule concluded about one fact: its outcomes, or the error it raised.
Judgement = tuple[Outcome, ...] | InputError
# The same as findings.
Found = Sequence[Finding] | InputError


@dataclass(frozen=True)
class Taken:
    """A rule's findings and errors as judged elsewhere (the workers), on the facts this
    process would judge it on, in their order."""

    findings: list[Finding]
    errors: list[InputError]
    distinct: bool  # no two findings share an identity: nothing to deduplicate


@dataclass
class AuditOptions:
    paths: list[str]
    spark_version: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    follow_symlinks: bool = False  # follow links out of the directories given
    disabled_rules: frozenset[str] = frozenset()  # rule ids or slugs not to run
    only_rules: frozenset[str] | None = None  # if set, the ids of the only rules to run
    skip_paths: tuple[str, ...] = ()  # globs of files and directories not to read
    keystore_password_files: tuple[str, ...] = ()
    helm: str | None = None  # --helm: the helm binary that renders charts
    post_steps: list[PostStep] = field(default_factory=list)
    progress: Callable[[int], None] | None = None  # called with the count of files read
    # Steps that add observations (live endpoint scans, ...) after the files are read.
    inventory_steps: list[Callable[[Inventory, AuditOptions], None]] = field(default_factory=list)
    # Judge with the rules of these modules of triplock.rules only (None: every rule).
    rule_modules: tuple[str, ...] | None = None
    # Worker processes that read inputs and judge per-input rules; 1: all in this process;
    # JOBS_AUTO: the usable cores, where the inputs are of a kind the workers pay for.
    jobs: int = 1


def audit(options: AuditOptions) -> AuditResult:
    inventory = Inventory()
    inventory.options = RunOptions(
        paths=tuple(options.paths),
        keystore_password_files=options.keystore_password_files,
        helm=options.helm,
    )
    prejudged = None
    if options.jobs != 1 and STDIN not in options.paths:
        from triplock.workers import read_on_workers

        rules = _catalogue(options)
        per_input = [r for r in rules if _selected(r, options) and r.scope is Scope.PER_INPUT]
        prejudged = read_on_workers(options, inventory, per_input)
    else:
        discover(
            options.paths,
            all_sources(),
            inventory,
            options.max_bytes,
            options.progress,
            options.skip_paths,
            options.follow_symlinks,
        )
    for step in options.inventory_steps:
        step(inventory, options)
    return judge(inventory, options, prejudged)


def judge(
    inventory: Inventory, options: AuditOptions, prejudged: Prejudged | None = None
) -> AuditResult:
    """Every selected rule over the facts of its type, in rule order then fact order. What
    worker processes already judged (`prejudged`) is taken from them, not judged again."""
    ctx = Context(inventory, options.spark_version, inventory.options)
    by_rule: list[tuple[str, list[Finding]]] = []
    rules = _catalogue(options)
    result = AuditResult(
        inputs=inventory.inputs,
        errors=inventory.errors,
        skipped=inventory.skipped,
        rules=[r.meta for r in rules],
    )
    for rule in rules:
        if not _selected(rule, options):
            continue
        facts: list[object] = [inventory] if rule.target is Inventory else inventory.of(rule.target)
        done = prejudged.of(rule, facts) if prejudged is not None else None
        if isinstance(done, Taken):
            result.errors += done.errors
            taken = done.findings if done.distinct else _distinct(done.findings)
            by_rule.append((rule.meta.id, taken))
            continue
        found_by_rule: list[Finding] = []
        for fact, ready in zip(facts, repeat(None)) if done is None else done:
            found = (
                _findings(rule, judge_fact(rule, fact, ctx), inventory) if ready is None else ready
            )
            if isinstance(found, InputError):
                result.errors.append(found)
                continue
            found_by_rule += found
        # Identities differ between rules: one rule's findings at a time are deduplicated.
        by_rule.append((rule.meta.id, _distinct(found_by_rule)))
    result.findings = _sort(by_rule)
    for step in options.post_steps:
        step(result, options)
    result.checklist = checklist(result.findings)
    return result


def _distinct(findings: list[Finding]) -> list[Finding]:
    """The first finding of each identity, in their order (the identities computed in C: a
    large tree has millions of findings)."""
    keys = list(Finding.identities(findings))
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    if len(first) == len(findings):
        return findings
    return list(map(findings.__getitem__, sorted(first.values())))


def _catalogue(options: AuditOptions) -> list[Rule[Any]]:
    """The rules of this audit, in their order (the selected ones run)."""
    return all_rules() if options.rule_modules is None else rules_in(options.rule_modules)


def judge_fact(rule: Rule[Any], fact: object, ctx: Context) -> Judgement:
    """One rule on one fact; a rule bug (an odd value it did not expect) is one error."""
    try:
        if rule.applies is not None and not rule.applies(fact):
            return ()
        return tuple(rule.check(fact, ctx))
    except Exception as e:
        return _rule_error(rule, fact, e)


def _selected(rule: Rule[Any], options: AuditOptions) -> bool:
    if rule.meta.id in options.disabled_rules or rule.meta.slug in options.disabled_rules:
        return False
    return options.only_rules is None or rule.meta.id in options.only_rules


def _rule_error(rule: Rule[Any], fact: object, error: Exception) -> InputError:
    """An errors entry naming the rule and the input it judged. The exception's message is
    left out: it may quote a value, and the value may be a secret."""
    name = getattr(fact, "name", None) or type(fact).__name__
    loc = getattr(fact, "origin", None) or getattr(fact, "location", None)
    path = loc.path if isinstance(loc, Location) and loc.path else getattr(fact, "path", None)
    return InputError(
        str(path or name),
        f"rule {rule.meta.id} could not judge {name}: internal error "
        f"{type(error).__name__}; please report it",
    )


def _findings(rule: Rule[Any], judged: Judgement, shared: Inventory) -> Found:
    if isinstance(judged, InputError):
        return judged
    return [
        finding_of(
            rule.meta,
            o.status,
            o.message,
            o.location,
            o.evidence,
            o.fix,
            o.severity,
            o.cause,
            shared,
        )
        for o in judged
    ]


def finding_of(
    meta: RuleMeta,
    status: Status,
    message: str,
    location: Location,
    evidence: tuple[Evidence, ...],
    fix: Fix | None,
    severity: Severity | None,
    cause: str | None,
    shared: Inventory,
) -> Finding:
    """The finding of an outcome (its fields in `Outcome`'s order), its verdict the equal one
    this run already keeps."""
    verdict = Verdict.at(
        location.path, meta, status, message, severity or meta.severity, evidence, fix, cause=cause
    )
    return Finding.at(location, shared.one(verdict))


_STATUS_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.PASS: 2}
# Status first, then severity (highest first), as one number.
_RANK = {
    (st, sev): _STATUS_ORDER[st] * len(Severity) - sev.rank for st in Status for sev in Severity
}

# The report's order: status and severity, path or URL, line, rule id. Sorted one key at a
# time, the last first (each sort is stable): a tuple key per finding would hold millions of
# tuples at once on a large tree. The last key, the rule's id, is had by putting the rules'
# findings together in the order of their ids.
_ORDER: tuple[Callable[[Finding], Any], ...] = (
    lambda f: _RANK[f.verdict.status, f.verdict.severity],
    lambda f: f.location.path or f.location.url or "",
    lambda f: f.location.line or 0,
)


def _sort(by_rule: list[tuple[str, list[Finding]]]) -> list[Finding]:
    """The findings of every rule (by the rule's id) in the report's order."""
    by_rule.sort(key=itemgetter(0), reverse=True)
    findings: list[Finding] = []
    while by_rule:  # each rule's list freed as soon as it is copied
        findings += by_rule.pop()[1]
    for key in reversed(_ORDER):
        findings.sort(key=key)
    return findings


def checklist(findings: list[Finding]) -> list[ControlStatus]:
    """Each control's status: fail if any counted failure, else unknown if anything could not
    be judged, else pass; `not assessed` when no input spoke to it."""
    counts: dict[str, Counter[str]] = {control: Counter() for control in CONTROLS}
    # What is counted is the verdict's, and thousands of findings share one: counted by
    # verdict (by identity, without hashing one), then a verdict at a time.
    verdicts = list(map(attrgetter("verdict"), findings))
    shared = dict(zip(map(id, verdicts), verdicts, strict=True))
    for key, times in Counter(map(id, verdicts)).items():
        v = shared[key]
        waived = v.status is Status.FAIL and v.waiver is not None
        kind = "waived" if waived else v.shown_status
        counts[v.rule.control][kind] += times
    out: list[ControlStatus] = []
    for control, n in counts.items():
        if n["fail"] or n["baselined"]:  # a baselined failure is known, still a failure
            status = "fail"
        elif n["unknown"]:
            status = "unknown"
        elif n["pass"] or n["waived"]:
            status = "pass"
        else:
            status = "not assessed"
        out.append(
            ControlStatus(
                control, status, n["fail"], n["pass"], n["unknown"], n["waived"], n["baselined"]
            )
        )
    return out
