"""Envelope encryption of files and directory trees: a fresh data key per file, wrapped by the
KMS primary key, the data in Tink's AES256_GCM_HKDF_1MB streaming format.

An encrypted file (suffix .tlk) is
  b"TLKE" || 0x01 || uint32 BE n || n bytes of JSON {"format", "wrapped_key"} || Tink ciphertext
The Tink ciphertext's associated data is ENVELOPE_AAD, and the data key is wrapped with the same
bytes as context. The header is not authenticated by the stream on purpose: `rewrap` replaces it
after a key rotation without touching the data; an altered header can only yield a wrong data key,
which fails authentication. The JSON is padded with spaces to HEADER_BODY_BYTES, so that a
rewrapped header has the same length and is written over the old one in place, in the file's
first disk sector. Outputs are written where nobody sees them and linked into place only when
complete (files.py), so a failure or a kill never leaves plaintext (or a partial ciphertext)
behind."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import struct
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from triplock.keys import streaming, tink_keyset
from triplock.keys.files import ExistsError, atomic_writer, os_error_text, sweep_stale
from triplock.keys.kms.interface import Kms, KmsError, WrappedKey, generate_data_key, rewrap

MAGIC = b"TLKE\x01"
SUFFIX = ".tlk"
FORMAT = "AES256_GCM_HKDF_1MB"
ENVELOPE_AAD = b"triplock-envelope/1"
_MAX_HEADER = 64 * 1024
_COPY_BYTES = 1 << 20
# The JSON of a header is padded to this many bytes (a longer one, from a very long key id, is
# kept as it is). With the 9 bytes before it, the header fits in the first 512-byte sector, which
# devices write whole: a crash during an in-place rewrap leaves the old header or the new one.
HEADER_BODY_BYTES = 480
_SECTOR_BYTES = 512


class EnvelopeError(Exception):
    """A file that is not an envelope, fails to decrypt, or an output that exists."""


class SameFileError(EnvelopeError):
    """The output is the input (the same path, a symbolic or a hard link)."""


@dataclass(frozen=True)
class Header:
    wrapped: WrappedKey
    payload_offset: int  # where the Tink ciphertext starts


def header_bytes(wrapped: WrappedKey, body_bytes: int = HEADER_BODY_BYTES) -> bytes:
    """The header, its JSON padded with spaces to `body_bytes` when it is shorter."""
    body = json.dumps(
        {"format": FORMAT, "wrapped_key": wrapped.to_dict()}, sort_keys=True, separators=(",", ":")
    ).encode()
    body = body.ljust(body_bytes, b" ")
    return MAGIC + struct.pack(">I", len(body)) + body


def read_header(src: BinaryIO, name: str = "input") -> Header:
    head = _read_exactly(src, len(MAGIC) + 4)
    if len(head) < len(MAGIC) + 4 or not head.startswith(MAGIC):
        raise EnvelopeError(f"{name} is not a triplock encrypted file (no TLKE header)")
    (length,) = struct.unpack(">I", head[len(MAGIC) :])
    if length > _MAX_HEADER:
        raise EnvelopeError(f"{name}: header too large ({length} bytes)")
    body = _read_exactly(src, length)
    try:
        doc = json.loads(body)
        if doc.get("format") != FORMAT:
            raise EnvelopeError(f"{name}: unsupported format {doc.get('format')!r}")
        wrapped = WrappedKey.from_dict(doc["wrapped_key"])
    except (ValueError, KeyError, AttributeError, KmsError) as e:
        raise EnvelopeError(f"{name}: malformed header ({e})") from None
    return Header(wrapped, len(head) + length)


def _read_exactly(src: BinaryIO, n: int) -> bytes:
    """`n` bytes unless the input ends first (a pipe hands them over in pieces)."""
    out = bytearray()
    while len(out) < n:
        piece = src.read(n - len(out))
        if not piece:
            break
        out += piece
    return bytes(out)


def encrypt_fileobj(
    kms: Kms, src: BinaryIO, dst: BinaryIO, size: int | None = None, workers: int | None = None
) -> int:
    """Encrypt `src` into `dst`; `size`, when known, lets the output be allocated at once.
    `workers`: encryption threads (default one per CPU; see streaming.encrypt_stream)."""
    key, wrapped = generate_data_key(kms, ENVELOPE_AAD)
    header = header_bytes(wrapped)
    if size is not None:
        _preallocate(dst, len(header) + streaming.ciphertext_size(size))
    dst.write(header)
    n = streaming.encrypt_stream(key, src, dst, ENVELOPE_AAD, workers=workers)
    if size is not None:
        dst.truncate()  # the input may have shrunk since its size was taken
    return n


def _preallocate(dst: BinaryIO, length: int) -> None:
    # One allocation up front spares the file system block-by-block growth (and fragmentation).
    # Where it is not supported (some network file systems), the file simply grows.
    with contextlib.suppress(OSError, AttributeError, ValueError):
        os.posix_fallocate(dst.fileno(), 0, length)


def decrypt_fileobj(
    kms: Kms, src: BinaryIO, dst: BinaryIO, name: str = "input", workers: int | None = None
) -> int:
    return _decrypt_payload(kms, read_header(src, name), src, dst, name, workers)


def _decrypt_payload(
    kms: Kms, header: Header, src: BinaryIO, dst: BinaryIO, name: str, workers: int | None
) -> int:
    """Decrypt what follows the header just read from `src`."""
    try:
        key = kms.unwrap(header.wrapped, ENVELOPE_AAD)
    except KmsError as e:
        raise EnvelopeError(f"{name}: {e}") from None
    try:
        return streaming.decrypt_stream(key, src, dst, ENVELOPE_AAD, workers=workers)
    except streaming.StreamError as e:
        raise EnvelopeError(f"{name}: {e}") from None


def encrypt_file(
    kms: Kms, src: Path, dst: Path, force: bool = False, workers: int | None = None
) -> int:
    """Encrypt one file; the output keeps the input's permission bits (at most 0644)."""
    refuse_same_file(src, dst)
    mode = _mode_of(src) & 0o644
    with open(src, "rb", buffering=0) as fin, _writer(dst, mode, force) as fout:
        return encrypt_fileobj(kms, fin, fout, _regular_size(fin), workers)


def decrypt_file(
    kms: Kms, src: Path, dst: Path, force: bool = False, workers: int | None = None
) -> int:
    """Decrypt one file to a 0600 output (plaintext is assumed sensitive). The input may be a
    pipe: it is read once, in order."""
    refuse_same_file(src, dst)
    with open(src, "rb", buffering=0) as fin, _writer(dst, 0o600, force) as fout:
        size = _regular_size(fin)
        header = read_header(fin, str(src))
        if size is not None:
            _preallocate(fout, streaming.plaintext_size(size - header.payload_offset))
        n = _decrypt_payload(kms, header, fin, fout, str(src), workers)
        fout.truncate()
        return n


def _regular_size(handle: BinaryIO) -> int | None:
    """The size of a regular file; None for a pipe or a device, whose size is unknown."""
    info = os.fstat(handle.fileno())
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def refuse_same_file(src: Path, dst: Path) -> None:
    """Writing over the input would destroy it (and --force used to keep it as NAME.bak)."""
    if os.path.abspath(src) == os.path.abspath(dst) or (
        os.path.exists(dst) and os.path.samefile(src, dst)
    ):
        raise SameFileError(f"the output {dst} is the input {src}: give another output")


def rewrap_file(kms: Kms, path: Path) -> bool:
    """Move a file's data key to the KMS's current primary version; False if already there.

    Only the header changes. It is written over the old one in place when the new one has the
    same length and lies in the first sector (every header written since they are padded);
    otherwise (an unpadded header of an older triplock, or a very long key id) the file is
    copied to a temporary file with the new header and renamed over the old one, since the data
    moves. No backup is kept: the data stays readable with the keyring."""
    with open(path, "r+b") as handle:
        header = read_header(handle, str(path))
        try:
            fresh = rewrap(kms, header.wrapped, ENVELOPE_AAD)
        except KmsError as e:
            raise EnvelopeError(f"{path}: {e}") from None
        if fresh == header.wrapped:
            return False
        head = header_bytes(fresh, header.payload_offset - len(MAGIC) - 4)
        if len(head) == header.payload_offset <= _SECTOR_BYTES:
            os.pwrite(handle.fileno(), head, 0)
            os.fsync(handle.fileno())
            return True
        handle.seek(header.payload_offset)
        with _writer(path, _mode_of(path) & 0o777, force=True) as fout:
            fout.write(header_bytes(fresh))
            shutil.copyfileobj(handle, fout, _COPY_BYTES)
    return True


def headers_using(paths: list[Path], key_id: str, version: int) -> tuple[list[Path], list[str]]:
    """The files among `paths` whose data key is wrapped by `version` of `key_id`, and the
    errors of those that could not be read (a file that cannot be read may use it too)."""
    using: list[Path] = []
    errors: list[str] = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                wrapped = read_header(handle, str(path)).wrapped
        except (OSError, EnvelopeError) as e:
            errors.append(_reason(e))
            continue
        if wrapped.key_id == key_id and wrapped.version == version:
            using.append(path)
    return using, errors


def envelope_files(given: list[Path]) -> list[Path]:
    """The .tlk files of the given files and trees."""
    files: list[Path] = []
    for path in given:
        files.extend(sorted(path.rglob(f"*{SUFFIX}")) if path.is_dir() else [path])
    return files


def sweep_outputs(dst: Path, tree: bool) -> list[Path]:
    """Remove the stale temporaries an earlier killed run left where outputs go (the output's
    directory, or every directory of an output tree); return them."""
    directories = [dst.parent if not tree else dst]
    if tree and dst.is_dir():
        directories += [Path(d) / n for d, names, _ in os.walk(dst) for n in names]
    return [p for d in directories for p in sweep_stale(d)]


def export_tink_keyset(kms: Kms, path: Path) -> tuple[str, Header]:
    """A file's data key as a Tink JSON keyset (cleartext: keep it 0600) and where its Tink
    ciphertext starts. Tink decrypts the bytes from `payload_offset` on with associated data
    ENVELOPE_AAD."""
    with open(path, "rb") as fin:
        header = read_header(fin, str(path))
    try:
        key = kms.unwrap(header.wrapped, ENVELOPE_AAD)
    except KmsError as e:
        raise EnvelopeError(f"{path}: {e}") from None
    return tink_keyset.to_json(key), header


@dataclass(frozen=True)
class Job:
    """One file of a tree operation, by its path relative to the tree."""

    relative: str
    size: int


def plan_tree(src: Path, dst: Path, encrypt: bool, force: bool) -> list[Job]:
    """Every regular file under `src` (symbolic links are not followed), checked for outputs
    that already exist before anything is written."""
    if not src.is_dir():
        raise EnvelopeError(f"{src} is not a directory")
    if dst.resolve().is_relative_to(src.resolve()):
        raise EnvelopeError(f"the output {dst} is inside the input {src}")
    jobs: list[Job] = []
    for path in _walk(src):
        rel = path.relative_to(src).as_posix()
        if not encrypt and not rel.endswith(SUFFIX):
            continue
        target = output_path(dst, rel, encrypt)
        if target.exists() and not force:
            raise ExistsError(target)
        jobs.append(Job(rel, path.stat().st_size))
    return jobs


def output_path(dst: Path, relative: str, encrypt: bool) -> Path:
    if encrypt:
        return dst / (relative + SUFFIX)
    return dst / relative.removesuffix(SUFFIX)


@dataclass(frozen=True)
class JobResult:
    relative: str
    bytes: int
    error: str | None = None


def run_jobs(
    kms: Kms,
    src: Path,
    dst: Path,
    jobs: list[Job],
    encrypt: bool,
    force: bool,
    workers: int | None = None,
) -> Iterator[JobResult]:
    """Process each job, reporting errors per file rather than stopping the tree."""
    for job in jobs:
        source = src / job.relative
        target = output_path(dst, job.relative, encrypt)
        try:
            if encrypt:
                n = encrypt_file(kms, source, target, force, workers)
            else:
                n = decrypt_file(kms, source, target, force, workers)
        except (EnvelopeError, OSError, KmsError) as e:
            yield JobResult(job.relative, 0, _reason(e))
        else:
            yield JobResult(job.relative, n)


def _reason(error: Exception) -> str:
    return os_error_text(error) if isinstance(error, OSError) else str(error)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _mode_of(path: Path) -> int:
    return os.stat(path).st_mode


def _writer(path: Path, mode: int, force: bool) -> AbstractContextManager[BinaryIO]:
    """An atomic output; raises files.ExistsError (a FileExistsError) on entry if `path` exists."""
    # No NAME.bak of a replaced output: bulk data is still readable from its source, and a
    # plaintext copy must never be left behind silently.
    return atomic_writer(Path(path), mode=mode, force=force, durable=False, keep="none")
