"""The vocabulary every part of triplock speaks: severities, statuses, locations, findings."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple


class Severity(enum.Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    # Members are singletons (in every process: unpickling looks them up): identity hashing
    # is C code, Enum's own hashes the name in Python (hashed per finding).
    __hash__ = object.__hash__

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}

SEVERITY_NAMES = tuple(s.value for s in Severity)  # lowest first


class Status(enum.Enum):
    FAIL = "fail"
    PASS = "pass"
    UNKNOWN = "unknown"

    __hash__ = object.__hash__  # as Severity's


class Location(NamedTuple):
    """Where a fact came from: a file and line, a URL, and/or an object inside it. A tuple:
    hashed, compared and built in C (a large tree's findings are millions of them)."""

    path: str | None = None
    line: int | None = None
    url: str | None = None
    object: str | None = None

    def describe(self) -> str:
        where = self.path or self.url or "<unknown>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.object:
            where = f"{where} ({self.object})"
        return where

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "url": self.url, "object": self.object}


@dataclass(frozen=True, slots=True, init=False)
class Evidence:
    """What a finding saw. `shown` is always the output of redact.show(): never a raw secret.
    `Evidence.of` is the only constructor (`Evidence(key, shown)` raises TypeError)."""

    key: str | None
    shown: str | None

    @classmethod
    def of(cls, key: str | None, value: str | None, by_key_only: bool = False) -> Evidence:
        from triplock.redact import show

        evidence = object.__new__(cls)
        object.__setattr__(evidence, "key", key)
        shown = None if value is None else show(key, value, by_key_only)
        object.__setattr__(evidence, "shown", shown)
        return evidence

    def describe(self) -> str:
        if self.key and self.shown is not None:
            return f"{self.key}={self.shown}"
        return self.key or self.shown or ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.shown}


class FixAction(enum.Enum):
    SET = "set"
    UNSET = "unset"
    CHMOD = "chmod"
    REPLACE = "replace"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Fix:
    """A machine-applicable remedy: set/unset a key in a file, chmod a path, or a manual step."""

    action: FixAction
    target: str
    value: str | None = None
    path: str | None = None

    def describe(self) -> str:
        match self.action:
            case FixAction.SET:
                from triplock.fix_syntax import setting_text

                return f"set {setting_text(self.target, self.value, self.path)}"
            case FixAction.UNSET:
                return f"remove {self.target}"
            case FixAction.CHMOD:
                return f"chmod {self.value} {self.target}"
            case FixAction.REPLACE:
                return f"replace {self.target} with {self.value}"
            case FixAction.MANUAL:
                return self.target

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "target": self.target,
            "value": self.value,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """Everything a rule says about itself, independent of any input."""

    id: str
    slug: str
    title: str
    control: str
    severity: Severity
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()
    target: str = ""
    stage: str = ""  # the control's stage: derived from `control`

    def __post_init__(self) -> None:
        from triplock.controls import CONTROLS

        object.__setattr__(self, "stage", CONTROLS[self.control].stage)

    def __hash__(self) -> int:
        # Rules' ids are unique; the generated hash would hash every field (once per finding).
        return hash(self.id)


# Every inline waiver comment holds the marker (discovery keeps the texts that do); a waiver
# read from such a comment has a source that starts with the prefix.
INLINE_WAIVER_MARKER = "triplock:"
INLINE_WAIVER_SOURCE = "inline:"


@dataclass(frozen=True, slots=True)
class Waiver:
    reason: str
    source: str
    expires: str | None = None

    @property
    def inline(self) -> bool:
        """Whether it was written in the audited file itself (not in a waiver file)."""
        return self.source.startswith(INLINE_WAIVER_SOURCE)

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "source": self.source, "expires": self.expires}


class Verdict(NamedTuple):
    """What a finding says, apart from where: the same rule, status, message, evidence and
    fix recur in thousands of findings, so one object is shared by all of them (see
    `Finding.at`). A fix aimed at the finding's own file is kept without its path
    (`fix_here`): the path is the location's, and the rest is equal across files. A tuple:
    built, hashed and compared in C, once per finding of a run."""

    rule: RuleMeta
    status: Status
    message: str
    severity: Severity
    evidence: tuple[Evidence, ...] = ()
    fix: Fix | None = None
    fix_here: bool = False  # `fix` goes to the finding's location.path
    waiver: Waiver | None = None
    baselined: bool = False  # a failure recorded in the baseline: known, not new
    cause: str | None = None  # the defect this finding shares with others (see Outcome.cause)

    @classmethod
    def at(
        cls,
        path: str | None,
        rule: RuleMeta,
        status: Status,
        message: str,
        severity: Severity,
        evidence: tuple[Evidence, ...] = (),
        fix: Fix | None = None,
        waiver: Waiver | None = None,
        baselined: bool = False,
        cause: str | None = None,
    ) -> Verdict:
        """The verdict of a finding in the file at `path`."""
        here = fix is not None and fix.path is not None and fix.path == path
        if here and fix is not None:
            fix = Fix(fix.action, fix.target, fix.value)
        return cls(rule, status, message, severity, evidence, fix, here, waiver, baselined, cause)

    @property
    def shown_status(self) -> str:
        """The status reports show: `baselined` for a baselined failure (DESIGN contract)."""
        return "baselined" if self.baselined else self.status.value


# What makes two findings of one rule one finding: their location and these fields of their
# verdicts. Read by Finding.identities and by the workers' chunks (workers.sent.Numbers).
IDENTITY_FIELDS = ("status", "message")


class Finding:
    """One rule's conclusion at one place: a location and a (shared) verdict. Millions of
    findings can be held at once, so each is these two references and nothing more."""

    __slots__ = ("location", "verdict")
    location: Location
    verdict: Verdict

    def __init__(
        self,
        rule: RuleMeta,
        status: Status,
        message: str,
        location: Location,
        severity: Severity,
        evidence: tuple[Evidence, ...] = (),
        fix: Fix | None = None,
        waiver: Waiver | None = None,
        baselined: bool = False,
        cause: str | None = None,
    ) -> None:
        verdict = Verdict.at(
            location.path, rule, status, message, severity, evidence, fix, waiver, baselined, cause
        )
        object.__setattr__(self, "location", location)
        object.__setattr__(self, "verdict", verdict)

    @classmethod
    def at(cls, location: Location, verdict: Verdict) -> Finding:
        """The finding of `verdict` at `location` (a verdict shared with other findings)."""
        finding = object.__new__(cls)
        object.__setattr__(finding, "location", location)
        object.__setattr__(finding, "verdict", verdict)
        return finding

    def replace(self, **changes: Any) -> Finding:
        """A copy with these fields changed (the fields of the constructor)."""
        fields = {name: getattr(self, name) for name in _FINDING_FIELDS}
        return Finding(**(fields | changes))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Finding is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Finding is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self.location == other.location and self.verdict == other.verdict

    def __hash__(self) -> int:
        return hash((self.location, self.verdict))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FINDING_FIELDS)
        return f"Finding({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Finding.at, (self.location, self.verdict))

    @property
    def rule(self) -> RuleMeta:
        return self.verdict.rule

    @property
    def status(self) -> Status:
        return self.verdict.status

    @property
    def message(self) -> str:
        return self.verdict.message

    @property
    def severity(self) -> Severity:
        return self.verdict.severity

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return self.verdict.evidence

    @property
    def fix(self) -> Fix | None:
        fix = self.verdict.fix
        if fix is None or not self.verdict.fix_here:
            return fix
        return Fix(fix.action, fix.target, fix.value, self.location.path)

    @property
    def waiver(self) -> Waiver | None:
        return self.verdict.waiver

    @property
    def baselined(self) -> bool:
        return self.verdict.baselined

    @property
    def cause(self) -> str | None:
        return self.verdict.cause

    @property
    def stage(self) -> str:
        return self.verdict.rule.stage

    @property
    def counts(self) -> bool:
        """Whether this finding can fail a run (a failure neither waived nor baselined)."""
        v = self.verdict
        return v.status is Status.FAIL and v.waiver is None and not v.baselined

    @property
    def shown_status(self) -> str:
        return self.verdict.shown_status

    @staticmethod
    def identities(findings: list[Finding]) -> Iterator[tuple[object, ...]]:
        """What makes each of these findings (of one rule) the same as another: its location
        and its verdict's IDENTITY_FIELDS, as one flat tuple each; computed in C."""
        verdicts = list(map(_VERDICT, findings))
        fields = (map(attrgetter(name), verdicts) for name in IDENTITY_FIELDS)
        return zip(map(_LOCATION, findings), *fields, strict=True)


_VERDICT, _LOCATION = attrgetter("verdict"), attrgetter("location")


_FINDING_FIELDS = (
    "rule",
    "status",
    "message",
    "location",
    "severity",
    "evidence",
    "fix",
    "waiver",
    "baselined",
    "cause",
)


@dataclass(frozen=True, slots=True)
class InputRecord:
    path: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class InputWithWaivers(InputRecord):
    """An input whose text holds inline waiver comments, with that text: the waiver step
    reads them here instead of reading the file again (stdin cannot be read again at all).
    Not reported. A class of its own: few inputs have one, and every input keeps a record."""

    waiver_text: str = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class InputError:
    path: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ControlStatus:
    control: str
    status: str
    fail: int = 0
    passed: int = 0
    unknown: int = 0
    waived: int = 0
    baselined: int = 0


@dataclass
class AuditResult:
    inputs: list[InputRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    checklist: list[ControlStatus] = field(default_factory=list)
    expired_waivers: list[str] = field(default_factory=list)
    unused_waivers: list[str] = field(default_factory=list)  # matched no finding
    skipped: int = 0  # files passed over as plainly not configuration (images, archives, ...)
    baseline_fixed: list[str] = field(default_factory=list)  # baseline entries matched no more
    # The rule catalogue the audit ran with: formats describe rules from here, never from the
    # registry (a format knows nothing of rules beyond the result).
    rules: list[RuleMeta] = field(default_factory=list)

    def exit_code(self, fail_on: Severity | None) -> int:
        """2 when no input could be read; 1 when a counted failure reaches `fail_on` (None:
        never); else 0."""
        if not self.inputs and self.errors:
            return 2
        if fail_on is None:
            return 0
        return 1 if any(f.counts and f.severity >= fail_on for f in self.findings) else 0
