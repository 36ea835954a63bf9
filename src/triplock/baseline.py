"""Baselines: adopt triplock on a tree with known debt and fail only on what is new.

`audit --write-baseline FILE` records the failing findings of today by fingerprint (see
`triplock.fingerprint`: rule, file, object and message; lines may move). `audit --baseline FILE`
marks the failures it lists as baselined: shown apart in every format, never failing
`--fail-on`; the entries no failure matches any more are listed as fixed, so the file can
shrink. A baseline holds no evidence value, no message and no secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triplock import __version__
from triplock.fingerprint import SCHEME, fingerprints
from triplock.model import AuditResult, Finding, Status, Verdict

FORMAT = "triplock-baseline"
FORMAT_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file."""


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    rule_id: str
    path: str | None

    def describe(self) -> str:
        return f"{self.rule_id} {self.path or '<deployment>'}"


def to_text(result: AuditResult) -> str:
    """The baseline of `result`: its failures that are not waived (baselined ones included), by
    fingerprint."""
    entries = [
        {"fingerprint": fp, "rule_id": f.rule.id, "path": f.location.path or f.location.url}
        for f, fp in _printed(result.findings)
        if f.status is Status.FAIL and f.waiver is None
    ]
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "fingerprint": SCHEME,
        "tool_version": __version__,
        "findings": entries,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def load(path: str) -> list[Entry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline file (create one with --write-baseline)"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: cannot read the baseline: {e}") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as e:
        raise BaselineError(f"{path}: not a triplock baseline (invalid JSON: {e.msg})") from None
    except ValueError:  # an integer of more digits than Python converts
        raise BaselineError(f"{path}: not a triplock baseline (a number too long)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a triplock baseline")
    if data.get("version") != FORMAT_VERSION or data.get("fingerprint") != SCHEME:
        raise BaselineError(
            f"{path}: baseline format {data.get('version')!r} is not {FORMAT_VERSION}"
        )
    if data.get("tool_version") != __version__:
        raise BaselineError(
            f"{path}: written by triplock {data.get('tool_version')!r}, this is {__version__}: "
            "its findings may differ; write it again with --write-baseline"
        )
    return [_entry(item, path) for item in _items(data, path)]


def _items(data: dict[str, Any], path: str) -> list[Any]:
    items = data.get("findings")
    if not isinstance(items, list):
        raise BaselineError(f"{path}: `findings` must be a list")
    return items


def _entry(item: Any, path: str) -> Entry:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) for k in ("fingerprint", "rule_id")
    ):
        raise BaselineError(f"{path}: each finding needs a fingerprint and a rule_id")
    where = item.get("path")
    return Entry(item["fingerprint"], item["rule_id"], where if isinstance(where, str) else None)


class BaselineStep:
    """A post step: failures listed in the baseline become baselined; unmatched entries are
    reported as fixed."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = {e.fingerprint: e for e in entries}

    def __call__(self, result: AuditResult, options: object) -> None:
        fingerprint_of = {id(f): fp for f, fp in _printed(result.findings)}
        matched: set[str] = set()
        findings: list[Finding] = []
        verdicts: dict[Verdict, Verdict] = {}  # the baselined ones, shared
        for f in result.findings:
            fp = fingerprint_of.get(id(f))
            if fp is not None and f.counts and fp in self.entries:
                matched.add(fp)
                known = f.verdict._replace(baselined=True)
                f = Finding.at(f.location, verdicts.setdefault(known, known))
            findings.append(f)
        result.findings = findings
        result.baseline_fixed = [
            e.describe() for fp, e in self.entries.items() if fp not in matched
        ]


def _printed(findings: list[Finding]) -> list[tuple[Finding, str]]:
    """Non-passing findings with their fingerprints, computed as SARIF computes them."""
    shown = [f for f in findings if f.status is not Status.PASS]
    return list(zip(shown, fingerprints(shown, Path.cwd()), strict=True))
