"""--changed-since GIT_REF: audit the whole tree for context, report only the findings located
in files changed since REF (committed, staged, unstaged or new and untracked)."""

from __future__ import annotations

import os
import subprocess

from triplock.model import AuditResult


class GitError(ValueError):
    """git is missing, the directory is not a work tree, or the ref is unknown."""


def changed_files(ref: str, directory: str = ".") -> frozenset[str]:
    """Absolute paths of the files changed since `ref` in the work tree holding `directory`."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git revision")
    top = _git(directory, "rev-parse", "--show-toplevel").strip()
    _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    names = _git(top, "diff", "--name-only", "-z", ref, "--").split("\0")
    names += _git(top, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return frozenset(os.path.realpath(os.path.join(top, n)) for n in names if n)


def _git(directory: str, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", directory, *args], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        raise GitError("--changed-since needs git on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than 60 s") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or [f"unknown revision {args[-1]!r}"]
        raise GitError(f"git {args[0]}: {detail[0]}")
    return proc.stdout


class ChangedStep:
    """A post step: keep only findings whose file is among `files`."""

    def __init__(self, files: frozenset[str]) -> None:
        self.files = files

    def __call__(self, result: AuditResult, options: object) -> None:
        result.findings = [
            f
            for f in result.findings
            if f.location.path is not None and os.path.realpath(f.location.path) in self.files
        ]
