"""--format json: the stable contract of docs/reports.md (schema_version 1.x, additive only).

The findings are most of a report, and most of a finding is its verdict, which many findings
share (model.Verdict). So each verdict is encoded once, around the holes its findings fill
(the location, and the fix's path when the fix goes to the finding's own file), and a finding
costs the encoding of its location: the text is still exactly that of `finding_dict`."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from triplock.formats._common import finding_dict, result_document
from triplock.formats._stream import Elements, pieces
from triplock.model import AuditResult, Finding, Location, Verdict

# Written as it is by orjson; a NUL byte is escaped everywhere else, so it marks a hole exactly.
_HOLE = orjson.Fragment(b"\x00")
# Verdicts whose encoding is kept (about 1 KB each). Findings come sorted, those of one verdict
# close together: starting afresh when full re-encodes few of them.
_KEPT = 4096


def render(result: AuditResult) -> str:
    return b"".join(chunks(result)).decode()


def chunks(result: AuditResult) -> Iterator[bytes]:
    """The report in UTF-8 pieces (written as they come: a large report is never one
    string). Compact, byte for byte what json.dumps(ensure_ascii=False, separators=(",", ":"))
    writes, in about a third of the time on large reports (benchmarks/phases.py)."""
    # The document's findings (finding_dict of each) replaced by the same text, made faster.
    findings = Elements(iter(result.findings), _Findings().encode)
    yield from pieces(result_document(result) | {"findings": findings}, orjson.dumps)
    yield b"\n"


class _Findings:
    """Findings written as orjson writes their `finding_dict`, each verdict encoded once."""

    def __init__(self) -> None:
        self._parts: dict[int, tuple[bytes, ...]] = {}  # by id(verdict)
        self._verdicts: list[Verdict] = []  # each one kept alive, so that its id stays its own

    def encode(self, findings: list[Finding]) -> bytes:
        """The findings joined by commas, in one piece."""
        dumps = orjson.dumps
        out: list[bytes] = []
        # Sorted findings at one place (a file's line) come together, often sharing the one
        # Location object: each such run encodes it once.
        last: Location | None = None
        placed = b""
        for f in findings:
            parts = self._parts.get(id(f.verdict)) or self._encode_verdict(f)
            where = f.location
            if where is not last:
                last, placed = where, dumps(where.to_dict())
            out += (parts[0], placed, parts[1])
            if len(parts) == 3:  # the fix goes to the finding's own file
                out += (dumps(where.path), parts[2])
            out.append(b",")
        out.pop()
        return b"".join(out)

    def _encode_verdict(self, f: Finding) -> tuple[bytes, ...]:
        """`f` encoded without its location, nor its fix's path where that is the location's:
        the text before, between and after those holes, the same for all the verdict's
        findings."""
        if len(self._parts) >= _KEPT:
            self._parts.clear()
            self._verdicts.clear()
        data = finding_dict(f)
        data["location"] = _HOLE
        if f.verdict.fix_here:
            data["fix"]["path"] = _HOLE
        parts = tuple(orjson.dumps(data).split(b"\x00"))
        self._parts[id(f.verdict)] = parts
        self._verdicts.append(f.verdict)
        return parts
