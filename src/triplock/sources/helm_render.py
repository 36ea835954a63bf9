"""`--helm`: a chart rendered by `helm template` with its default values, each rendered
manifest mapped back to its template through Helm's `# Source:` comments.

The file is always the template's. Lines: each rendered line is matched, in order, to the
template line it comes from (the same text, or the same key); the rendered manifest is then
laid out on those lines, so a finding points at the template line. Lines an expansion produced
(`toYaml`, `range`) follow the line that produced them, and can push the lines after them down
by as many lines.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from triplock.safe_read import DEFAULT_MAX_BYTES, ReadError, read_capped
from triplock.sources.interface import SourceError

_SOURCE = re.compile(r"^# Source: (?P<path>\S.*)$")
_KEY = re.compile(r"^\s*(?:-\s+)*([\w.\-/\"']+:)(?:\s|$)")
_LOOKAHEAD = 80
RENDER_TIMEOUT = 120


@dataclass(frozen=True, slots=True)
class RenderedDoc:
    template: str  # the template's path on disk
    text: str  # the rendered manifest, laid out on the template's lines


def render(helm: str, chart: str) -> str:
    """`helm template` of a chart directory with its default values (no cluster, no network
    for a chart whose dependencies are vendored)."""
    try:
        done = subprocess.run(
            [helm, "template", "triplock", chart],
            capture_output=True,
            text=True,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SourceError(f"helm template could not run: {type(e).__name__}") from e
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise SourceError(f"helm template failed: {first[:200]}")
    return done.stdout


def rendered_docs(output: str, chart: str) -> Iterator[RenderedDoc]:
    """The manifests of `helm template` output, each laid out on its template's lines."""
    chart_name_prefix: str | None = None
    for block in re.split(r"^---\s*$", output, flags=re.MULTILINE):
        lines = block.strip("\n").split("\n")
        m = _SOURCE.match(lines[0]) if lines else None
        if m is None:
            continue
        source = m["path"]
        if chart_name_prefix is None:
            chart_name_prefix = source.split("/", 1)[0]
        relative = source.split("/", 1)[1] if "/" in source else source
        template = os.path.join(chart, relative)
        try:  # a name from helm's output: read like any reference (no FIFO, capped)
            text = read_capped(template, DEFAULT_MAX_BYTES).data.decode("utf-8")
        except (ReadError, UnicodeDecodeError):
            text = ""
        template_lines = text.split("\n") if text else []
        yield RenderedDoc(template, layout(lines[1:], template_lines))


def layout(rendered: list[str], template: list[str]) -> str:
    """The rendered lines placed on the template lines they come from (1-based lines)."""
    out: list[str] = []
    pointer = 0
    for line in rendered:
        target = _match(line, template, pointer)
        if target is not None:
            pointer = target + 1
            while len(out) < target:
                out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def _match(line: str, template: list[str], start: int) -> int | None:
    wanted = line.strip()
    if not wanted:
        return None
    key = _KEY.match(line)
    for j in range(start, min(len(template), start + _LOOKAHEAD)):
        candidate = template[j]
        if candidate.strip() == wanted:
            return j
        other = _KEY.match(candidate)
        if key is not None and other is not None and other.group(1) == key.group(1):
            return j
    return None


def chart_of(path: str) -> str | None:
    """The chart directory a template file belongs to (the nearest Chart.yaml above it)."""
    directory = os.path.dirname(os.path.abspath(path))
    for _ in range(8):
        if os.path.isfile(os.path.join(directory, "Chart.yaml")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return None
