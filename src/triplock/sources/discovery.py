"""Walk the paths a user gave, read each file once, hand it to the source that claims it.

Every input that cannot be read (missing, permission denied, not UTF-8, too large, binary of no
known kind, malformed) becomes an entry in `errors`, and the walk goes on. This module is the
one boundary between inputs and the audit: whatever a source raises while it reads an input or
links facts is caught here and recorded with the file's name, never raised past it.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from triplock.inventory import Inventory
from triplock.model import INLINE_WAIVER_MARKER
from triplock.safe_read import (
    DEFAULT_MAX_BYTES,
    ReadError,
    TooLarge,
    os_reason,
    read_capped,
    read_stream,
)
from triplock.sources.interface import InputFile, NotText, Source, SourceError

STDIN = "-"

# Directories that never hold deployment files and can be huge.
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}
_NOT_FOLLOWED = "outside the audited tree; not followed (--follow-symlinks follows it)"
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
PROGRESS_EVERY = 500  # files read between two calls of a progress callback


@dataclass(frozen=True, slots=True)
class Walked:
    """A file the walk found: its path, whether the user named it, the directory given."""

    path: str
    explicit: bool
    root: str


def discover(
    paths: list[str],
    sources: list[Source],
    inventory: Inventory,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    skip: tuple[str, ...] = (),
    follow_symlinks: bool = False,
) -> None:
    """Parse every claimed input under `paths` into `inventory`, then let sources link facts.
    `progress`, if given, is called with the number of files read so far, every 500 files;
    files and directories matching a glob of `skip` are not read. Symbolic links that lead
    out of a directory given are followed only with `follow_symlinks`."""
    seen = 0
    for given in paths:
        if given == STDIN:
            data = _read_stdin(max_bytes, inventory)
            if data is not None:
                _consider(InputFile("<stdin>", data), sources, inventory, True)
            continue
        for found in walk([given], inventory, skip, follow_symlinks):
            seen += 1
            if progress is not None and seen % PROGRESS_EVERY == 0:
                progress(seen)
            read_input(found, sources, inventory, max_bytes)
    link_inputs(sources, inventory)


def walk(
    paths: list[str], inventory: Inventory, skip: tuple[str, ...] = (), follow: bool = False
) -> Iterator[Walked]:
    """The files under `paths` (stdin, `-`, is not walked), in the order they are read; what
    cannot be walked is an error entry in `inventory`."""
    for given in paths:
        if given == STDIN:
            continue
        root = given if os.path.isdir(given) else os.path.dirname(given) or "."
        for path, explicit in _walk(given, inventory, _Skip(skip, given), follow):
            yield Walked(path, explicit, root)


def read_input(found: Walked, sources: list[Source], inventory: Inventory, max_bytes: int) -> None:
    """Read one walked file and add its facts (or its error) to `inventory`."""
    data = _read(found.path, max_bytes, inventory, found.explicit)
    if data is not None:
        _consider(InputFile(found.path, data, found.root), sources, inventory, found.explicit)


def link_inputs(sources: list[Source], inventory: Inventory) -> None:
    """After every input is read: each source's link(), behind the boundary."""
    for source in sources:
        try:
            source.link(inventory)
        except Exception as e:  # the boundary: a source's bug must not lose the audit
            inventory.record_error(f"<{source.kind}>", f"linking inputs failed: {_unexpected(e)}")


def _read_stdin(max_bytes: int, inventory: Inventory) -> bytes | None:
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        inventory.record_error("<stdin>", "standard input is closed")
        return None
    try:
        return read_stream(sys.stdin.buffer, max_bytes)
    except ReadError as e:
        inventory.record_error("<stdin>", _read_reason(e))
    except (OSError, ValueError) as e:  # a closed or unreadable descriptor
        inventory.record_error("<stdin>", f"cannot be read ({_unexpected(e)})")
    return None


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


def _walk(
    given: str, inventory: Inventory, skip: _Skip, follow: bool
) -> Iterator[tuple[str, bool]]:
    if skip(given) or _not_utf8(given, inventory):
        return
    try:
        st = os.stat(given)
    except OSError as e:
        inventory.record_error(given, _stat_reason(given, e))
        return
    if not stat.S_ISDIR(st.st_mode):
        yield given, True
        return
    tree = _Tree(os.path.realpath(given), inventory, skip, follow)
    for dirpath, dirnames, filenames in os.walk(
        given, onerror=_walk_error(inventory), followlinks=follow
    ):
        dirnames[:] = sorted(d for d in dirnames if tree.enter(os.path.join(dirpath, d)))
        yield from ((path, False) for path in tree.files(dirpath, sorted(filenames)))


class _Tree:
    """What the walk of one directory given takes: regular files inside it, links out of it
    only when following links, each directory once (a link loop is not walked twice)."""

    def __init__(self, root: str, inventory: Inventory, skip: _Skip, follow: bool) -> None:
        self.root = root
        self.inventory = inventory
        self.skip = skip
        self.follow = follow
        self.walked = {root}

    def enter(self, path: str) -> bool:
        if os.path.basename(path) in _SKIP_DIRS or self.skip(path):
            return False
        if _not_utf8(path, self.inventory):
            return False
        if os.path.islink(path) and not self.follow:
            if self._leaves(path):
                self.inventory.record_error(path, f"link to a directory {_NOT_FOLLOWED}")
            return False  # a link inside the tree: its directory is walked where it is
        real = os.path.realpath(path)
        if real in self.walked:
            return False
        self.walked.add(real)
        return True

    def files(self, directory: str, names: list[str]) -> Iterator[str]:
        denied: list[str] = []
        looked = 0  # names stat() was tried on
        for name in names:
            path = os.path.join(directory, name)
            if self.skip(path) or _not_utf8(path, self.inventory):
                continue
            if os.path.splitext(name)[1].lower() in NOT_CONFIG_SUFFIXES:
                self.inventory.skipped += 1
                continue
            looked += 1
            try:
                mode = os.lstat(path).st_mode  # one system call for a regular file
                linked = stat.S_ISLNK(mode)
                if linked:
                    mode = os.stat(path).st_mode  # what the link leads to decides
            except PermissionError:
                denied.append(path)
                continue
            except OSError as e:
                self.inventory.record_error(path, _stat_reason(path, e))
                continue
            if not stat.S_ISREG(mode):
                continue  # sockets, FIFOs, devices: never deployment files
            if linked and not self.follow and self._outside(path):
                self.inventory.record_error(path, f"link to a file {_NOT_FOLLOWED}")
                continue
            yield path
        if denied:
            self._denied(directory, denied, looked)

    def _denied(self, directory: str, denied: list[str], listed: int) -> None:
        if len(denied) == listed:  # the directory cannot be searched (no execute bit)
            self.inventory.record_error(
                directory,
                "permission denied: the directory can be listed but not searched, so its "
                f"entries ({listed:,}) were not read",
            )
            return
        for path in denied:
            self.inventory.record_error(path, "permission denied")

    def _leaves(self, path: str) -> bool:
        """A symbolic link out of the tree, not to be followed."""
        return not self.follow and os.path.islink(path) and self._outside(path)

    def _outside(self, path: str) -> bool:
        """Whether `path` resolves to somewhere outside the tree."""
        real = os.path.realpath(path)
        return real != self.root and not real.startswith(self.root.rstrip(os.sep) + os.sep)


def _not_utf8(path: str, inventory: Inventory) -> bool:
    """A name that is not UTF-8 (Python keeps its bytes as surrogates, which no report can
    encode) is an error entry, shown with the bytes escaped (`caf\\xe9.conf`), and not read."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        inventory.record_error(shown, "the name is not UTF-8; not read")
        return True
    return False


def _stat_reason(path: str, error: OSError) -> str:
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        return "broken symbolic link"
    return os_reason(error)


def _walk_error(inventory: Inventory) -> Callable[[OSError], None]:
    def record(error: OSError) -> None:
        inventory.record_error(str(error.filename), os_reason(error))

    return record


def _read(path: str, max_bytes: int, inventory: Inventory, explicit: bool) -> bytes | None:
    """A file's bytes; a path named on the command line may be a FIFO or a device
    (`<(helm template ...)`), a file found by the walk must be a regular file."""
    try:
        return read_capped(path, max_bytes, streams=explicit).data
    except ReadError as e:
        inventory.record_error(path, _read_reason(e))
        return None


def _read_reason(error: ReadError) -> str:
    return f"{error}, see --max-file-size" if isinstance(error, TooLarge) else str(error)


def _consider(file: InputFile, sources: list[Source], inventory: Inventory, explicit: bool) -> None:
    for source in sources:
        try:
            if not _claims(source, file):
                continue
            source.parse(file, inventory)
        except (SourceError, NotText) as e:
            inventory.record_error(file.path, f"{source.kind}: {e}")
        except RecursionError:
            inventory.record_error(file.path, f"{source.kind}: nesting too deep")
        except Exception as e:  # the boundary: no input may abort the audit
            inventory.record_error(file.path, f"{source.kind}: {_unexpected(e)}")
        else:
            inventory.record_input(file.path, source.kind, _waiver_text(file))
        return
    _unclaimed(file, inventory, explicit)


def _claims(source: Source, file: InputFile) -> bool:
    try:
        return source.claims(file)
    except NotText:
        return False


def _unexpected(error: Exception) -> str:
    """An exception no source expected, described by its class only: its message may quote
    the input, and the input may hold a secret."""
    if isinstance(error, MemoryError):
        return "too large to parse in memory"
    return f"could not be parsed (internal error {type(error).__name__}; please report it)"


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
