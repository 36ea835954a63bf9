"""Waivers: accepted risks, each with a reason and an optional expiry.

Two kinds. Entries of a waiver file (`.triplock.yaml`, `[tool.triplock]` or `--waivers FILE`)
name a rule or a control, optionally narrowed by a path glob and an object glob. Inline waivers sit
in the audited file's own comment syntax, on the finding's line or the line above it:

    # triplock: ignore SPARK-001 reason="shared test cluster" expires=2026-06-30
    <!-- triplock: ignore HDFS-003,HDFS-004 reason="lab only" -->

A waived finding stays in every report, marked with its waiver; it no longer counts toward the
exit code. A waiver past its expiry date stops applying and is listed in `expired_waivers`. A
waiver that matched no finding is listed in `unused_waivers` (a fixed risk whose waiver can go),
unless its path glob names no audited input: a partial audit says nothing about those.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from triplock.model import (
    INLINE_WAIVER_MARKER,
    INLINE_WAIVER_SOURCE,
    AuditResult,
    Finding,
    InputError,
    InputWithWaivers,
    Location,
    Status,
    Waiver,
)
from triplock.redact import show

_INLINE = re.compile(r"(?:^|\s)(?:#|!|<!--)\s*triplock:\s*ignore\b(?P<body>.*?)(?:-->|$)")
_IDS = re.compile(r"^\s*(?P<ids>[A-Za-z0-9][\w.-]*(?:\s*,\s*[A-Za-z0-9][\w.-]*)*)(?=\s|$)")
# The lookbehind starts a name only where a word starts: `[a-z]+=` alone rescans a long word
# from each of its letters.
_ARG = re.compile(r'(?<![a-z])(?P<name>[a-z]+)=(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')
_COMMENT_ONLY = re.compile(r"^\s*(?:#|!|<!--)")


class WaiverError(ValueError):
    """A waiver file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class WaiverEntry:
    """One accepted risk. `rules` are ids or slugs (any may match); `path` and `object` are
    globs; relative path globs are relative to `base`."""

    reason: str
    source: str
    rules: tuple[str, ...] = ()
    control: str | None = None
    path: str | None = None
    object: str | None = None
    expires: dt.date | None = None
    base: str = "."

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding) -> bool:
        if self.rules and not {finding.rule.id, finding.rule.slug} & set(self.rules):
            return False
        if self.control is not None and self.control != finding.rule.control:
            return False
        if self.path is not None and not _path_matches(self.path, finding.location, self.base):
            return False
        return self.object is None or (
            finding.location.object is not None and glob_match(self.object, finding.location.object)
        )

    def waiver(self) -> Waiver:
        expires = self.expires.isoformat() if self.expires else None
        return Waiver(reason=self.reason, source=self.source, expires=expires)

    def describe(self, unused: bool = False) -> str:
        what = ",".join(self.rules) or self.control or "?"
        if unused:
            state = " matched no finding"
        else:
            state = f" expired {self.expires.isoformat()}" if self.expires else ""
        return f"{self.source}: waiver of {what}{state} ({self.reason})"

    def covers_any(self, paths: list[str]) -> bool:
        """Whether the path glob, if any, names one of `paths` (the audited inputs)."""
        if self.path is None:
            return True
        return any(_path_matches(self.path, Location(path=p), self.base) for p in paths)


_ENTRY_KEYS = {"rule", "control", "path", "object", "reason", "expires"}


def parse_entries(
    raw: Any, source: str, base: str, lines: list[int] | None = None
) -> list[WaiverEntry]:
    """Waiver entries from loaded YAML/TOML data: a list of mappings. `lines` gives each
    entry's line in `source`, where known."""
    from triplock.controls import CONTROLS

    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WaiverError(f"{source}: waivers must be a list of entries")
    out: list[WaiverEntry] = []
    for i, item in enumerate(raw):
        where = f"{source}:{lines[i]}" if lines and i < len(lines) else f"{source} waivers[{i}]"
        if not isinstance(item, dict):
            raise WaiverError(f"{where}: a waiver must be a mapping (rule, reason, ...)")
        unknown = sorted(set(map(str, item)) - _ENTRY_KEYS)
        if unknown:
            raise WaiverError(f"{where}: unknown waiver field(s) {', '.join(unknown)}")
        rule, control = _text(item, "rule", where), _text(item, "control", where)
        if rule is None and control is None:
            raise WaiverError(f"{where}: a waiver names a rule or a control")
        if rule is not None and not _known_rule(rule):
            raise WaiverError(f"{where}: no rule with id or slug {rule!r}")
        if control is not None and control not in CONTROLS:
            raise WaiverError(f"{where}: no control {control!r}")
        reason = _text(item, "reason", where)
        if not reason:
            raise WaiverError(f"{where}: a waiver needs a reason")
        out.append(
            WaiverEntry(
                reason=show(None, reason),
                source=where,
                rules=(rule,) if rule else (),
                control=control,
                path=_text(item, "path", where),
                object=_text(item, "object", where),
                expires=_date(item.get("expires"), where),
                base=base,
            )
        )
    return out


def _text(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise WaiverError(f"{where}: {key} must be a string")
    return value.strip()


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        pass
    try:  # a timestamp, as YAML writes them ("2026-12-31 18:00:00")
        return dt.datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise WaiverError(f"{where}: expires must be a date (YYYY-MM-DD)") from None


def _known_rule(name: str) -> bool:
    from triplock.rules.registry import all_rules

    return any(name in (r.meta.id, r.meta.slug) for r in all_rules())


# Glob tokens. A run of two or more `*` is one `**` (`**/` when a slash follows).
_LITERAL, _ONE, _STAR, _ANY, _DIRS = range(5)


@lru_cache(maxsize=1024)
def _glob_tokens(pattern: str) -> tuple[tuple[int, str], ...]:
    tokens: list[tuple[int, str]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c != "*":
            tokens.append((_ONE, "") if c == "?" else (_LITERAL, c))
            i += 1
            continue
        end = i
        while end < len(pattern) and pattern[end] == "*":
            end += 1
        if end - i == 1:
            tokens.append((_STAR, ""))
        elif pattern.startswith("/", end):
            tokens.append((_DIRS, ""))
            end += 1
        else:
            tokens.append((_ANY, ""))
        i = end
    return tuple(tokens)


def glob_match(pattern: str, name: str) -> bool:
    """Whether a glob matches all of `name`: `**` crosses directories, `**/` is zero or more
    directories, `*` and `?` do not cross a `/`.

    Runs the glob as a set of states over `name`, one step a character, so time is at most
    len(pattern) x len(name): the regex it replaces backtracked exponentially (`**a**a...c`
    against a 40-character name did not finish in a minute)."""
    tokens = _glob_tokens(pattern)
    states = _closure({0}, tokens)
    for c in name:
        states = _closure({n for state in states for n in _step(tokens, state, c)}, tokens)
        if not states:
            return False
    return len(tokens) in states


def _step(tokens: tuple[tuple[int, str], ...], state: int, c: str) -> tuple[int, ...]:
    """The states after reading `c` in `state`. State i: before token i; len(tokens): the
    whole glob read; len(tokens) + 1 + i: inside the `.*/` of the `**/` token i."""
    end = len(tokens)
    if state > end:
        return (state, state - end) if c == "/" else (state,)
    if state == end:
        return ()
    kind, literal = tokens[state]
    if kind == _LITERAL:
        return (state + 1,) if c == literal else ()
    if kind == _ONE:
        return (state + 1,) if c != "/" else ()
    if kind == _STAR:
        return (state,) if c != "/" else ()
    if kind == _ANY:
        return (state,)
    return (end + 1 + state, state + 1) if c == "/" else (end + 1 + state,)


def _closure(states: set[int], tokens: tuple[tuple[int, str], ...]) -> set[int]:
    """The states plus those reached without reading a character (an empty `*`, `**`, `**/`)."""
    out = set(states)
    stack = list(states)
    while stack:
        state = stack.pop()
        if (
            state < len(tokens)
            and tokens[state][0] in (_STAR, _ANY, _DIRS)
            and state + 1 not in out
        ):
            out.add(state + 1)
            stack.append(state + 1)
    return out


def _path_matches(pattern: str, loc: Location, base: str) -> bool:
    if loc.path is None:
        return loc.url is not None and glob_match(pattern, loc.url)
    absolute = os.path.abspath(loc.path).replace(os.sep, "/")
    if os.path.isabs(pattern):
        return glob_match(pattern, absolute)
    relative = os.path.relpath(absolute, os.path.abspath(base)).replace(os.sep, "/")
    if "/" not in pattern:
        relative = relative.rsplit("/", 1)[-1]
    return glob_match(pattern, relative)


@dataclass(frozen=True, slots=True)
class InlineWaiver:
    rules: tuple[str, ...]
    reason: str
    expires: dt.date | None
    line: int  # where the comment is
    applies_to: tuple[int, ...]  # the lines whose findings it waives

    def entry(self, path: str) -> WaiverEntry:
        return WaiverEntry(
            reason=self.reason,
            source=f"{INLINE_WAIVER_SOURCE}{path}:{self.line}",
            rules=self.rules,
            expires=self.expires,
        )


def scan_inline(text: str) -> tuple[list[InlineWaiver], list[tuple[int, str]]]:
    """Inline waivers in a file's text, and the malformed ones as (line, problem). A waiver
    applies to its own line and, on a comment-only line, to the next line that is not another
    waiver comment (so that waivers can be stacked above a setting) and to the lines that
    continue it with a trailing backslash (a command written over several lines)."""
    if INLINE_WAIVER_MARKER not in text:  # most files: one substring search, not a regex a line
        return [], []
    lines = text.splitlines()
    found: list[InlineWaiver] = []
    problems: list[tuple[int, str]] = []
    after = 0  # the line after the stack of waiver comments last walked (each walked once)
    for index, line in enumerate(lines):
        m = _INLINE.search(line)
        if m is None:
            continue
        number = index + 1
        parsed = _parse_inline(m["body"])
        if isinstance(parsed, str):
            problems.append((number, f"inline waiver {parsed}; not applied"))
            continue
        rules, reason, expires = parsed
        targets = [number]
        if _COMMENT_ONLY.match(line):
            after = max(after, index + 1)
            while after < len(lines) and _is_waiver_comment(lines[after]):
                after += 1
            targets.append(after + 1)
            # A command continued with `\` (spark-submit over many lines): the whole command.
            while after < len(lines) and lines[after].rstrip().endswith("\\"):
                after += 1
                targets.append(after + 1)
        found.append(InlineWaiver(rules, reason, expires, number, tuple(targets)))
    return found, problems


def _is_waiver_comment(line: str) -> bool:
    return bool(_COMMENT_ONLY.match(line)) and _INLINE.search(line) is not None


def _parse_inline(body: str) -> tuple[tuple[str, ...], str, dt.date | None] | str:
    """(rules, reason, expires), or what is wrong with it (never echoing the text itself)."""
    ids = _IDS.match(body)
    if ids is None:
        return "names no rule id"
    rules = tuple(r.strip() for r in ids["ids"].split(","))
    unknown = [r for r in rules if not _known_rule(r)]
    if unknown:
        return f"names unknown rule {unknown[0]}"
    args = {
        a["name"]: a["quoted"] if a["quoted"] is not None else a["bare"]
        for a in _ARG.finditer(body[ids.end() :])
    }
    reason = args.get("reason", "").strip()
    if not reason:
        return 'has no reason="..."'
    try:
        expires = _date(args.get("expires"), "")
    except WaiverError:
        return "has an invalid expires date (YYYY-MM-DD)"
    return rules, show(None, reason), expires


@dataclass
class WaiverStep:
    """The post step of audit() that applies waivers: the entries of waiver files and, unless
    refused, the inline waivers of the audited files that have findings to waive (their texts
    kept by discovery in InputWithWaivers)."""

    entries: list[WaiverEntry]
    inline: bool = True
    today: dt.date | None = None

    def __call__(self, result: AuditResult, options: object) -> None:
        today = self.today or dt.datetime.now(dt.UTC).date()
        inline: dict[tuple[str, int], list[WaiverEntry]] = {}
        if self.inline:
            inline, problems = self._inline_waivers(result)
            result.errors.extend(InputError(where, why) for where, why in problems)
        expired: dict[str, str] = {e.source: e.describe() for e in self.entries if e.expired(today)}
        used: set[str] = set()
        if self.entries or inline:  # else nothing is waived: the findings stay as they are
            findings = self._waived(result.findings, inline, today, expired, used)
            result.findings = _waive_causes(findings)
        result.expired_waivers.extend(expired.values())
        audited = [i.path for i in result.inputs]
        candidates = {e.source: e for e in self.entries if e.covers_any(audited)}
        candidates.update((e.source, e) for entries in inline.values() for e in entries)
        result.unused_waivers.extend(
            e.describe(unused=True)
            for source, e in candidates.items()
            if source not in used and source not in expired and not e.expired(today)
        )

    def _waived(
        self,
        findings: list[Finding],
        inline: dict[tuple[str, int], list[WaiverEntry]],
        today: dt.date,
        expired: dict[str, str],
        used: set[str],
    ) -> list[Finding]:
        """The findings, each with the first unexpired waiver that matches it; the expired
        and the used waivers are recorded in `expired` and `used`."""
        out: list[Finding] = []
        for finding in findings:
            waiver = None
            if finding.status is not Status.PASS:
                for entry in [*self.entries, *inline.get(_key(finding), ())]:
                    if not entry.matches(finding):
                        continue
                    if entry.expired(today):
                        expired.setdefault(entry.source, entry.describe())
                        continue
                    waiver = entry.waiver()
                    used.add(entry.source)
                    break
            out.append(finding.replace(waiver=waiver) if waiver else finding)
        return out

    def _inline_waivers(
        self, result: AuditResult
    ) -> tuple[dict[tuple[str, int], list[WaiverEntry]], list[tuple[str, str]]]:
        texts = {i.path: i.waiver_text for i in result.inputs if isinstance(i, InputWithWaivers)}
        if not texts:  # no audited file holds a waiver comment
            return {}, []
        paths = sorted(
            {
                f.location.path
                for f in result.findings
                if f.status is not Status.PASS and f.location.path and f.location.line
            }
            - {None}
        )
        by_line: dict[tuple[str, int], list[WaiverEntry]] = {}
        problems: list[tuple[str, str]] = []
        for path in paths:
            assert path is not None
            text = texts.get(path)
            if text is None:
                continue
            waivers, bad = scan_inline(text)
            problems.extend((f"{path}:{line}", why) for line, why in bad)
            for w in waivers:
                for line in w.applies_to:
                    by_line.setdefault((path, line), []).append(w.entry(path))
        return by_line, problems


def _waive_causes(findings: list[Finding]) -> list[Finding]:
    """A waiver of one finding of a cause (a binding, ...) covers every finding of that cause."""
    by_cause = {
        (f.location.path, f.cause): f.waiver
        for f in findings
        if f.cause is not None and f.waiver is not None
    }
    if not by_cause:
        return findings
    out: list[Finding] = []
    for f in findings:
        waiver = by_cause.get((f.location.path, f.cause)) if f.cause is not None else None
        if waiver is not None and f.waiver is None and f.status is not Status.PASS:
            f = f.replace(waiver=replace(waiver, reason=f"{waiver.reason} (same cause: {f.cause})"))
        out.append(f)
    return out


def _key(finding: Finding) -> tuple[str, int]:
    return (finding.location.path or "", finding.location.line or 0)
