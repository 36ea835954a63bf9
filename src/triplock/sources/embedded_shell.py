"""Shell scripts written inside other inputs (a container's `sh -c SCRIPT`, a compose
service's `command:`), read by the shell source and placed on the lines of the file that
carries them."""

from __future__ import annotations

import dataclasses
import posixpath
import re

from triplock.facts.shell import ShellCommand
from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.sources.interface import SourceError

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_SHELL_C = re.compile(r"^-[a-z]*c[a-z]*$")  # -c, -ec, -xc, -euc


def shell_c_script(argv: list[str]) -> int | None:
    """The index of SCRIPT in `[/bin/sh, -c, SCRIPT, ...]`, else None."""
    if len(argv) >= 3 and posixpath.basename(argv[0]) in SHELLS and _SHELL_C.match(argv[1]):
        return 2
    return None


def read_embedded(
    script: str, path: str, first_line: int, owner: str
) -> tuple[list[ShellCommand], list[SparkApp]]:
    """The commands and Spark launches of `script`, written from `first_line` of `path`, each
    located in the object `owner`; nothing when the script does not lex."""
    from triplock.sources.shell import read_script

    try:
        commands, apps = read_script(script, path)
    except SourceError:
        return [], []
    offset = first_line - 1
    moved = [
        dataclasses.replace(
            c,
            line=(c.line or 1) + offset,
            object=owner,
            args=tuple(
                dataclasses.replace(a, line=None if a.line is None else a.line + offset)
                for a in c.args
            ),
        )
        for c in commands
    ]
    for app in apps:
        app.origin = app.origin._replace(line=(app.origin.line or 1) + offset, object=owner)
        for key, s in list(app.settings.items()):
            where = s.location._replace(line=(s.location.line or 1) + offset, object=owner)
            app.settings[key] = Setting.at(s.key, s.value, where, s.templated, exposed=True)
    return moved, apps
