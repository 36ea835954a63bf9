"""triplock encrypt / decrypt: envelope encryption of files and trees (Tink streaming format).

A fresh data key per file, wrapped by the KMS primary key; `--spark-master` spreads a tree over a
Spark cluster; `--tink-keyset` reads and writes plain Tink ciphertext for interoperability."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    from triplock.keys.kms.options import add_arguments

    for name, encrypt in (("encrypt", True), ("decrypt", False)):
        verb = "encrypt" if encrypt else "decrypt"
        p: argparse.ArgumentParser = sub.add_parser(
            name,
            help=f"{verb} files or directory trees (envelope encryption, Tink format)",
            description=f"{verb.capitalize()} a file or a directory tree. Encrypted files get "
            "the suffix .tlk. Outputs are written to a temporary file and renamed when "
            "complete; nothing is overwritten without --force.",
        )
        p.add_argument("source", metavar="SRC", help="file or directory")
        p.add_argument(
            "-o",
            "--output",
            metavar="DST",
            help="output file or directory (file default: SRC with .tlk added or removed)",
        )
        add_arguments(p)
        p.add_argument("--force", action="store_true", help="overwrite existing outputs")
        p.add_argument(
            "--spark-master", metavar="URL", help="run a directory tree on this Spark cluster"
        )
        p.add_argument("--partitions", type=int, help="Spark partitions (default: parallelism)")
        p.add_argument(
            "--spark-wait",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="give up when no Spark executor has started after this long (default: 120)",
        )
        p.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help="threads per file (default: one per CPU, at most 8; on Spark: 1 per task)",
        )
        p.add_argument(
            "--tink-keyset",
            metavar="FILE",
            help="use this Tink JSON keyset instead of a KMS: plain Tink ciphertext, no envelope",
        )
        p.add_argument(
            "--associated-data",
            default="",
            metavar="TEXT",
            help="associated data for --tink-keyset (default: empty)",
        )
        if not encrypt:
            p.add_argument(
                "--export-tink-keyset",
                metavar="FILE",
                help="instead of decrypting, write the file's data key as a Tink keyset (0600)",
            )
        p.set_defaults(run=_runner(encrypt))


def _runner(encrypt: bool) -> Any:
    def run(args: argparse.Namespace) -> int:
        """Exit 2 for what stops the command before a file is processed (an existing output,
        the same file in and out, a KMS or keyset that cannot be opened, no Spark executor);
        exit 1 for a file that fails to encrypt or decrypt."""
        from triplock.cli import UsageError
        from triplock.keys.envelope import EnvelopeError, SameFileError
        from triplock.keys.files import os_error_text
        from triplock.keys.kms.interface import KmsError
        from triplock.keys.spark import ClusterError
        from triplock.keys.streaming import MAX_WORKERS, StreamError
        from triplock.keys.tink_keyset import KeysetError

        if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
            raise UsageError(f"--workers must be 1 to {MAX_WORKERS}")
        try:
            return _run(args, encrypt)
        except (FileExistsError, SameFileError, KmsError, KeysetError, ClusterError) as e:
            raise UsageError(str(e)) from None
        except (EnvelopeError, StreamError) as e:
            print(f"triplock: error: {e}", file=sys.stderr)
            return 1
        except OSError as e:
            raise UsageError(os_error_text(e)) from None

    return run


def _run(args: argparse.Namespace, encrypt: bool) -> int:
    from triplock.cli import UsageError
    from triplock.keys.envelope import SUFFIX

    src = Path(args.source)
    if not src.exists():
        raise UsageError(f"{src}: no such file or directory")
    if args.spark_master and not src.is_dir():
        raise UsageError("--spark-master spreads a directory tree: give a directory")
    if args.tink_keyset:
        return _tink(args, src, encrypt)
    if src.is_dir():
        if not args.output:
            raise UsageError("a directory needs --output DIR")
        return _tree(args, src, Path(args.output), encrypt)
    if not encrypt and getattr(args, "export_tink_keyset", None):
        return _export(args, src)
    if args.output:
        dst = Path(args.output)
    elif encrypt:
        dst = src.with_name(src.name + SUFFIX)
    elif src.name.endswith(SUFFIX):
        dst = src.with_name(src.name.removesuffix(SUFFIX))
    else:
        raise UsageError(f"{src} has no {SUFFIX} suffix: give --output")
    from triplock.keys import envelope
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    envelope.refuse_same_file(src, dst)
    _sweep(dst, tree=False)
    kms = open_kms(spec_from_args(args))
    op = envelope.encrypt_file if encrypt else envelope.decrypt_file
    n = op(kms, src, dst, args.force, args.workers)
    print(f"{'encrypted' if encrypt else 'decrypted'} {src} -> {dst} ({n:,} bytes)")
    return 0


def _sweep(dst: Path, tree: bool) -> None:
    from triplock.keys.envelope import sweep_outputs

    for path in sweep_outputs(dst, tree):
        print(f"triplock: removed {path}, left by an interrupted run", file=sys.stderr)


def _tree(args: argparse.Namespace, src: Path, dst: Path, encrypt: bool) -> int:
    from triplock.keys.envelope import JobResult, plan_tree, run_jobs
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    spec = spec_from_args(args)
    _sweep(dst, tree=True)
    results: list[JobResult]
    if args.spark_master:
        from triplock.keys.spark import run_tree, spark_session

        with spark_session(args.spark_master, wait=args.spark_wait) as spark:
            results = run_tree(spark, spec, src, dst, encrypt, args.force, args.partitions)
    else:
        jobs = plan_tree(src, dst, encrypt, args.force)
        kms = open_kms(spec)
        results = list(run_jobs(kms, src, dst, jobs, encrypt, args.force, args.workers))
    failed = [r for r in results if r.error]
    for r in failed:
        print(f"triplock: {r.relative}: {r.error}", file=sys.stderr)
    total = sum(r.bytes for r in results)
    verb = "encrypted" if encrypt else "decrypted"
    print(f"{verb} {len(results) - len(failed)} of {len(results)} files ({total:,} bytes)")
    return 1 if failed else 0


def _export(args: argparse.Namespace, src: Path) -> int:
    from triplock.keys.envelope import ENVELOPE_AAD, export_tink_keyset
    from triplock.keys.files import write_secret
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    text, header = export_tink_keyset(open_kms(spec_from_args(args)), src)
    write_secret(Path(args.export_tink_keyset), text.encode(), force=args.force)
    print(
        f"wrote {args.export_tink_keyset}: Tink ciphertext starts at byte "
        f"{header.payload_offset} of {src}; associated data {ENVELOPE_AAD.decode()!r}"
    )
    return 0


def _tink(args: argparse.Namespace, src: Path, encrypt: bool) -> int:
    from triplock.cli import UsageError
    from triplock.keys import streaming, tink_keyset
    from triplock.keys.files import atomic_writer

    if src.is_dir() or not args.output:
        raise UsageError("--tink-keyset works on one file and needs --output")
    from triplock.keys.envelope import refuse_same_file

    keys = tink_keyset.from_json(Path(args.tink_keyset).read_bytes())
    aad = args.associated_data.encode()
    dst = Path(args.output)
    refuse_same_file(src, dst)
    _sweep(dst, tree=False)
    if encrypt:
        # 0600 like every output of this command whose mode is not the input's.
        with (
            open(src, "rb", buffering=0) as fin,
            atomic_writer(dst, mode=0o600, force=args.force, durable=False, keep="none") as fout,
        ):
            n = streaming.encrypt_stream(keys[0], fin, fout, aad, workers=args.workers)
    else:
        n = _tink_decrypt(keys, src, dst, aad, args.force)
    print(f"{'encrypted' if encrypt else 'decrypted'} {src} -> {dst} ({n:,} bytes)")
    return 0


def _tink_decrypt(keys: list[bytes], src: Path, dst: Path, aad: bytes, force: bool) -> int:
    """Try each enabled key of the keyset, as Tink does for RAW streaming keys."""
    from triplock.keys import streaming
    from triplock.keys.files import atomic_writer

    error: streaming.StreamError | None = None
    for key in keys:
        try:
            with (
                open(src, "rb", buffering=0) as fin,
                atomic_writer(dst, mode=0o600, force=force, durable=False, keep="none") as fout,
            ):
                return streaming.decrypt_stream(key, fin, fout, aad)
        except streaming.StreamError as e:
            error = e
    assert error is not None
    raise streaming.StreamError(f"{src}: {error}")
