"""Walk the paths a user gave, read each file once, hand it to the source that claims it.

Every input that cannot be read (missing, permission denied, not UTF-8, too large, binary of no
known kind, malformed) becomes an entry in `errors`, and the walk goes on.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from triplock.inventory import Inventory
from triplock.model import INLINE_WAIVER_MARKER
from triplock.sources.interface import InputFile, NotText, Source, SourceError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
STDIN = "-"

# Directories that never hold deployment files and can be huge.
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}
# Files that are plainly not configuration (images, archives, compiled code, documents): a tree
# walk skips and counts them instead of reporting each as an input error.
NOT_CONFIG_SUFFIXES = frozenset(
    {
        *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".svg"),
        *(".pdf", ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar"),
        *(".jar", ".war", ".ear", ".whl", ".egg", ".class", ".pyc", ".pyo"),
        *(".so", ".dll", ".dylib", ".exe", ".o", ".a"),
        *(".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".mov", ".avi", ".wav"),
        *(".parquet", ".orc", ".avro", ".db", ".sqlite"),
    }
)


Progress = Callable[[int], None]


def discover(
    paths: list[str],
    sources: list[Source],
    inventory: Inventory,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    skip: tuple[str, ...] = (),
) -> None:
    """Parse every claimed input under `paths` into `inventory`, then let sources link facts.
    `progress`, if given, is called with the number of files read so far, every 500 files;
    files and directories matching a glob of `skip` are not read."""
    seen = 0
    for given in paths:
        if given == STDIN:
            _consider(
                InputFile("<stdin>", sys.stdin.buffer.read(max_bytes + 1)),
                sources,
                inventory,
                max_bytes,
                explicit=True,
            )
            continue
        root = given if os.path.isdir(given) else os.path.dirname(given) or "."
        for path, explicit in _walk(given, inventory, _Skip(skip, given)):
            seen += 1
            if progress is not None and seen % 500 == 0:
                progress(seen)
            data = _read(path, max_bytes, inventory)
            if data is not None:
                _consider(InputFile(path, data, root), sources, inventory, max_bytes, explicit)
    for source in sources:
        source.link(inventory)


class _Skip:
    """--skip-path globs, matched against a path relative to the audited directory and
    against its last component."""

    def __init__(self, globs: tuple[str, ...], root: str) -> None:
        self.globs = [g.rstrip("/") for g in globs]
        self.root = root

    def __call__(self, path: str) -> bool:
        if not self.globs:
            return False
        relative = os.path.relpath(path, self.root) if path != self.root else path
        name = os.path.basename(path)
        return any(
            fnmatch.fnmatchcase(relative, g) or fnmatch.fnmatchcase(name, g) for g in self.globs
        )


def _walk(given: str, inventory: Inventory, skip: _Skip) -> Iterator[tuple[str, bool]]:
    if skip(given):
        return
    if os.path.islink(given) and not os.path.exists(given):
        inventory.record_error(given, "broken symbolic link")
        return
    if not os.path.exists(given):
        inventory.record_error(given, "no such file or directory")
        return
    if not os.path.isdir(given):
        yield given, True
        return
    for dirpath, dirnames, filenames in os.walk(given, onerror=_walk_error(inventory)):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not skip(os.path.join(dirpath, d))
        )
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if skip(path):
                continue
            if os.path.splitext(name)[1].lower() in NOT_CONFIG_SUFFIXES:
                inventory.skipped += 1
                continue
            if os.path.islink(path) and not os.path.exists(path):
                inventory.record_error(path, "broken symbolic link")
                continue
            if not os.path.isfile(path):
                continue  # sockets, fifos, devices
            yield path, False


def _walk_error(inventory: Inventory) -> Callable[[OSError], None]:
    def record(error: OSError) -> None:
        inventory.record_error(str(error.filename), _os_reason(error))

    return record


def _read(path: str, max_bytes: int, inventory: Inventory) -> bytes | None:
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            inventory.record_error(
                path, f"too large ({size:,} bytes; limit {max_bytes:,}, see --max-file-size)"
            )
            return None
        return Path(path).read_bytes()
    except OSError as e:
        inventory.record_error(path, _os_reason(e))
        return None


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    return error.strerror or str(error)


def _consider(
    file: InputFile, sources: list[Source], inventory: Inventory, max_bytes: int, explicit: bool
) -> None:
    if len(file.data) > max_bytes:
        inventory.record_error(file.path, f"too large (limit {max_bytes:,} bytes)")
        return
    for source in sources:
        try:
            claimed = source.claims(file)
        except NotText:
            claimed = False
        if not claimed:
            continue
        try:
            source.parse(file, inventory)
        except (SourceError, NotText) as e:
            inventory.record_error(file.path, f"{source.kind}: {e}")
        except RecursionError:
            inventory.record_error(file.path, f"{source.kind}: nesting too deep")
        else:
            inventory.record_input(file.path, source.kind, _waiver_text(file))
        return
    _unclaimed(file, inventory, explicit)


def _waiver_text(file: InputFile) -> str | None:
    """The text of an input that holds inline waivers, for the waiver step."""
    if file.is_binary:
        return None
    try:
        return file.text if INLINE_WAIVER_MARKER in file.text else None
    except NotText:
        return None


def _unclaimed(file: InputFile, inventory: Inventory, explicit: bool) -> None:
    if file.is_binary:
        inventory.record_error(file.path, "binary file of no kind triplock reads; skipped")
        return
    try:
        file.text  # noqa: B018 - decoding is the check
    except NotText as e:
        inventory.record_error(file.path, str(e))
        return
    if explicit:
        inventory.record_error(file.path, "not a kind of file triplock reads; skipped")
