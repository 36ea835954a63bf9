"""Facts about shell scripts: the commands they run, after continuations and variables."""

from __future__ import annotations

from dataclasses import dataclass, field

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """One simple command of a shell script after joining continuations and expanding
    the variables defined in that script."""

    argv: tuple[str, ...]
    location: Location
    xtrace: bool  # `set -x` was in effect when the command ran
    raw: str


@dataclass
class ShellScript:
    path: str
    commands: list[ShellCommand] = field(default_factory=list)
