"""Command-line options that name a KMS, shared by `keys kms`, `encrypt` and `decrypt`.

Secrets are never options: the passphrase or PIN comes from a file or an environment variable."""

from __future__ import annotations

import argparse
import os

from triplock.keys.kms.interface import KmsSpec

SECRET_ENV = "TRIPLOCK_KMS_SECRET"
KEYRING_ENV = "TRIPLOCK_KEYRING"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kms",
        metavar="KIND:WHERE",
        help=f"file:KEYRING (default: file:${KEYRING_ENV}) or pkcs11:TOKEN_LABEL",
    )
    parser.add_argument(
        "--kms-secret-file",
        metavar="FILE",
        help=f"file holding the keyring passphrase or the token PIN (default: ${SECRET_ENV})",
    )
    parser.add_argument(
        "--pkcs11-module", metavar="LIB", help="PKCS#11 library (default: SoftHSM2's)"
    )
    parser.add_argument(
        "--key-id", default="triplock", help="name of the primary key (default: triplock)"
    )


def spec_from_args(args: argparse.Namespace) -> KmsSpec:
    from triplock.cli import UsageError

    given = args.kms or (f"file:{os.environ[KEYRING_ENV]}" if os.environ.get(KEYRING_ENV) else "")
    kind, sep, where = given.partition(":")
    if not sep or not where or kind not in ("file", "pkcs11"):
        raise UsageError(f"give --kms file:KEYRING or --kms pkcs11:TOKEN (or set {KEYRING_ENV})")
    return KmsSpec(
        kind=kind,
        location=os.path.abspath(where) if kind == "file" else where,
        secret_file=os.path.abspath(args.kms_secret_file) if args.kms_secret_file else None,
        secret_env=SECRET_ENV,
        module=args.pkcs11_module,
        key_id=args.key_id,
    )
