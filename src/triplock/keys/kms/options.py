"""Command-line options that name a KMS, shared by `keys kms`, `encrypt` and `decrypt`.

Secrets are never options: the passphrase or PIN comes from a file or an environment variable.
Errors are KmsOptionError, which the commands turn into usage errors (exit 2)."""

from __future__ import annotations

import argparse
import os
import stat
import sys

from triplock.keys.kms import backend, backends
from triplock.keys.kms.file import FileKms
from triplock.keys.kms.interface import KmsOptionError, KmsSpec

SECRET_ENV = "TRIPLOCK_KMS_SECRET"
KEYRING_ENV = "TRIPLOCK_KEYRING"
_FILE_KIND = FileKms.kind  # $TRIPLOCK_KEYRING names a keyring file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = " or ".join(f"{b.kind}:{b.where}" for b in backends().values())
    parser.add_argument(
        "--kms",
        metavar="KIND:WHERE",
        help=f"{kinds} (default: {_FILE_KIND}:${KEYRING_ENV})",
    )
    parser.add_argument(
        "--kms-secret-file",
        metavar="FILE",
        help="file holding the keyring passphrase or the token PIN; without it, the "
        f"passphrase or PIN itself is taken from the environment variable {SECRET_ENV}",
    )
    parser.add_argument(
        "--pkcs11-module", metavar="LIB", help="PKCS#11 library (default: SoftHSM2's)"
    )
    parser.add_argument(
        "--key-id", default="triplock", help="name of the primary key (default: triplock)"
    )


def spec_from_args(args: argparse.Namespace) -> KmsSpec:
    keyring = os.environ.get(KEYRING_ENV)
    given = args.kms or (f"{_FILE_KIND}:{keyring}" if keyring else "")
    kind, sep, where = given.partition(":")
    if not sep or not where:
        kinds = " or ".join(f"--kms {b.kind}:{b.where}" for b in backends().values())
        raise KmsOptionError(f"give {kinds} (or set {KEYRING_ENV})")
    found = backend(kind)
    secret_file = os.path.abspath(args.kms_secret_file) if args.kms_secret_file else None
    if secret_file:
        warn_if_exposed(secret_file)
    return KmsSpec(
        kind=kind,
        location=os.path.abspath(where) if found.location_is_path else where,
        secret_file=secret_file,
        secret_env=SECRET_ENV,
        module=args.pkcs11_module,
        key_id=args.key_id,
    )


def warn_if_exposed(path: str) -> None:
    """A passphrase or PIN file that group or others may read gets a warning on stderr."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return  # reading it will report the problem
    if mode & 0o044:
        print(
            f"triplock: warning: {path} is readable by others than its owner (mode {mode:04o}): "
            f"run chmod 600 {path}",
            file=sys.stderr,
        )
