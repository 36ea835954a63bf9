"""triplock keys: a CA, leaf certificates, keystores, random secrets, Kubernetes Secrets, KMS.

Every key, keystore and password file is written atomically with mode 0600; passwords and secrets
go to files and are printed only with an explicit --show flag; nothing is overwritten without
--force."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "keys",
        help="generate a CA, certificates, keystores, secrets and KMS keys the right way",
        description="Generate keys and secrets: ECDSA P-256 (RSA 3072 on request), SHA-256, "
        "90-day leaves, files 0600, written atomically, never overwritten without --force.",
    )
    keys = p.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)

    ca = keys.add_parser("ca", help="a root and an intermediate certificate authority")
    _output(ca, "DIR", "directory for the CA files")
    ca.add_argument("--cn", default="triplock root CA", help="root common name")
    ca.add_argument("--org", help="organization name")
    ca.add_argument(
        "--renew-intermediate",
        action="store_true",
        help="keep the root of the CA in --out and issue its intermediate anew (same key: "
        "leaves issued before still verify); the old one is kept as NAME.TIMESTAMP.bak",
    )
    ca.add_argument(
        "--new-key", action="store_true", help="with --renew-intermediate: a new key too"
    )
    _key_type(ca)
    _force(ca)
    ca.set_defaults(run=_run(_ca))

    cert = keys.add_parser("cert", help="a server or client certificate issued by the CA")
    cert.add_argument("--ca", required=True, metavar="DIR", help="CA directory (keys ca)")
    _output(cert, "DIR", "directory for NAME.key, NAME.pem and ca.pem")
    cert.add_argument(
        "--name", required=True, help="NAME.key (0600) and NAME.pem (leaf + intermediate)"
    )
    cert.add_argument("--cn", help="common name (default: the first --san)")
    cert.add_argument(
        "--san", action="append", default=[], metavar="NAME", help="DNS name or IP (repeatable)"
    )
    cert.add_argument(
        "--usage",
        choices=("server", "client", "both"),
        default="server",
        help="extended key usage (default: server)",
    )
    cert.add_argument("--days", type=int, default=90, help="lifetime in days (default: 90)")
    _key_type(cert)
    _force(cert)
    cert.set_defaults(run=_run(_cert))

    ks = keys.add_parser("keystore", help="a PKCS#12 (or JKS) keystore, and a truststore")
    ks.add_argument("--key", required=True, metavar="FILE", help="private key (PEM)")
    ks.add_argument("--chain", required=True, metavar="FILE", help="leaf + intermediates (PEM)")
    _output(ks, "FILE", "keystore to write (its password goes to FILE.pass, 0600)")
    ks.add_argument("--alias", default="server", help="key entry alias (default: server)")
    ks.add_argument("--truststore", metavar="FILE", help="also write a truststore here")
    ks.add_argument(
        "--ca-cert",
        action="append",
        default=[],
        metavar="FILE",
        help="trust anchor(s) for the truststore (default: ca.pem next to --chain)",
    )
    ks.add_argument(
        "--type",
        choices=("pkcs12", "jks"),
        default="pkcs12",
        dest="store_type",
        help="store format (default: pkcs12)",
    )
    _show_secret(ks, "also print the store passwords", "--show-password")
    _force(ks)
    ks.set_defaults(run=_run(_keystore))

    sec = keys.add_parser("secret", help="a random secret (Spark authentication, tokens)")
    _output(sec, "FILE", "file for the secret (0600)")
    sec.add_argument("--bytes", type=int, default=32, help="random bytes (default: 32)")
    sec.add_argument(
        "--encoding",
        choices=("hex", "base64", "urlsafe"),
        default="hex",
        help="how the bytes are written (default: hex)",
    )
    _show_secret(sec, "also print the secret", "--show")
    _force(sec)
    sec.set_defaults(run=_run(_secret))

    k8s = keys.add_parser("k8s-secret", help="a Kubernetes Secret manifest from files")
    k8s.add_argument("--name", required=True, help="the Secret's name")
    k8s.add_argument("--namespace", help="the Secret's namespace (default: none in the manifest)")
    k8s.add_argument(
        "--from-file",
        action="append",
        required=True,
        metavar="[KEY=]PATH",
        dest="files",
        help="a data entry from a file (KEY defaults to the file name; repeatable)",
    )
    k8s.add_argument(
        "--type", default="Opaque", dest="secret_type", help="the Secret's type (default: Opaque)"
    )
    _output(k8s, "FILE", "manifest file (0600)", required=False)
    _show_secret(k8s, "also print the manifest, which holds the secrets", "--stdout")
    _force(k8s)
    k8s.set_defaults(run=_run(_k8s_secret))

    kms = keys.add_parser("kms", help="the KMS: create the primary key, rotate it, rewrap files")
    kms_sub = kms.add_subparsers(dest="kms_command", metavar="ACTION", required=True)
    from triplock.keys.kms.options import add_arguments

    init = kms_sub.add_parser("init", help="create a keyring (file) or a first key (pkcs11)")
    add_arguments(init)
    init.add_argument("--scrypt-n", type=int, default=2**17, help=argparse.SUPPRESS)
    _force(init)
    init.add_argument(
        "--destroy-keyring",
        metavar="ID",
        help='with --force: replace an existing keyring, whose id (its "keyring_id") you '
        "type here; every file it encrypted becomes unreadable (it is kept as a backup)",
    )
    init.set_defaults(run=_run(_kms_init))
    rotate = kms_sub.add_parser("rotate", help="a new primary key version (old ones kept)")
    add_arguments(rotate)
    rotate.set_defaults(run=_run(_kms_rotate))
    rw = kms_sub.add_parser("rewrap", help="move encrypted files' data keys to the primary")
    add_arguments(rw)
    rw.add_argument("paths", nargs="+", metavar="PATH", help=".tlk files or directories")
    rw.set_defaults(run=_run(_kms_rewrap))
    retire = kms_sub.add_parser(
        "retire", help="destroy an old key version that none of the given files uses"
    )
    add_arguments(retire)
    retire.add_argument("version", type=int, metavar="VERSION", help="the key version to destroy")
    retire.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help=".tlk files or directories: every place that holds files this key encrypted",
    )
    retire.set_defaults(run=_run(_kms_retire))


def _key_type(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key-type", choices=("ec", "rsa"), default="ec", help="ec = P-256, rsa = 3072")


def _output(p: argparse.ArgumentParser, metavar: str, help: str, required: bool = True) -> None:
    """-o/--output, as in every other command (`--out` is still accepted, unlisted)."""
    p.add_argument("-o", "--output", dest="out", metavar=metavar, help=help)
    p.add_argument("--out", dest="out", help=argparse.SUPPRESS)
    p.set_defaults(output_required=required)


def _show_secret(p: argparse.ArgumentParser, help: str, old_name: str) -> None:
    """--show-secret: the one name for printing generated secrets (the old name still works)."""
    p.add_argument("--show-secret", action="store_true", dest="show_secret", help=help)
    p.add_argument(old_name, action="store_true", dest="show_secret", help=argparse.SUPPRESS)


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="overwrite existing files")


def _run(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the keys package's errors into one-line usage errors (exit 2), never a traceback."""

    def run(args: argparse.Namespace) -> int:
        from triplock.cli import UsageError
        from triplock.keys.ca import CaError
        from triplock.keys.envelope import EnvelopeError
        from triplock.keys.files import os_error_text
        from triplock.keys.k8s_secret import ManifestError
        from triplock.keys.keystore import KeystoreError
        from triplock.keys.kms.interface import KmsError

        if getattr(args, "output_required", False) and not args.out:
            raise UsageError("the following argument is required: -o/--output")
        try:
            return handler(args)
        except (
            FileExistsError,
            CaError,
            KeystoreError,
            KmsError,
            ManifestError,
            EnvelopeError,
            ValueError,
        ) as e:
            raise UsageError(str(e)) from None
        except OSError as e:
            raise UsageError(os_error_text(e)) from None

    return run


def _wrote(*paths: object) -> None:
    for path in paths:
        print(f"wrote {path}")


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        print(f"triplock: warning: {warning}", file=sys.stderr)


def _ca(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.cli import UsageError
    from triplock.keys import ca

    if args.new_key and not args.renew_intermediate:
        raise UsageError("--new-key goes with --renew-intermediate")
    if args.renew_intermediate:
        renewed = ca.renew_intermediate(Path(args.out), args.new_key)
        d = renewed.authority.directory
        _wrote(d / ca.INTERMEDIATE_CERT, *([d / ca.INTERMEDIATE_KEY] if renewed.new_key else []))
        _warn(renewed.warnings)
        if renewed.new_key:
            print("the intermediate has a new key: issue the leaves again (keys cert)")
        return 0
    made = ca.create(Path(args.out), args.cn, args.org, args.key_type, args.force)
    d = made.directory
    _wrote(d / ca.ROOT_CERT, d / ca.ROOT_KEY, d / ca.INTERMEDIATE_CERT, d / ca.INTERMEDIATE_KEY)
    print(f"keep {d / ca.ROOT_KEY} offline: leaves are signed by the intermediate")
    return 0


def _cert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.cli import UsageError
    from triplock.keys import ca

    if not args.san and not args.cn:
        raise UsageError("give at least one --san (or --cn)")
    if not 1 <= args.days <= 398:
        raise UsageError("--days must be between 1 and 398 (browsers refuse longer leaves)")
    authority = ca.load(Path(args.ca))
    paths = ca.issue(
        authority,
        Path(args.out),
        args.name,
        args.cn or args.san[0],
        args.san,
        args.usage,
        args.key_type,
        args.days,
        args.force,
    )
    _wrote(paths.key, paths.chain, paths.root)
    _warn(paths.warnings)
    return 0


def _keystore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.keys import keystore

    # Both stores are made in memory first: a missing --ca-cert fails before anything is written.
    outputs = keystore.keystore_outputs(
        Path(args.key), Path(args.chain), Path(args.out), args.alias, args.store_type
    )
    if args.truststore:
        anchors = [Path(c) for c in args.ca_cert] or [Path(args.chain).parent / "ca.pem"]
        outputs += keystore.truststore_outputs(anchors, Path(args.truststore), args.store_type)
    for p in keystore.write_stores(outputs, args.force):
        _wrote(p.store, p.password)
        if args.show_secret:
            print(f"{p.store} password: {p.password.read_text()}")
    return 0


def _secret(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.keys.secrets import write_new_secret

    value = write_new_secret(Path(args.out), args.bytes, args.encoding, args.force)
    _wrote(args.out)
    if args.show_secret:
        print(value)
    return 0


def _k8s_secret(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.cli import UsageError
    from triplock.keys import k8s_secret

    if not args.out and not args.show_secret:
        raise UsageError("give -o FILE (or --show-secret to print a manifest that holds secrets)")
    text = k8s_secret.manifest(
        args.name, k8s_secret.parse_file_args(args.files), args.namespace, args.secret_type
    )
    if args.out:
        k8s_secret.write_manifest(Path(args.out), text, args.force)
        _wrote(args.out)
    if args.show_secret:
        sys.stdout.write(text)
    return 0


def _kms_init(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.keys.kms import create_kms
    from triplock.keys.kms.interface import CreateOptions
    from triplock.keys.kms.options import spec_from_args

    if args.destroy_keyring and not args.force:
        raise UsageError("--destroy-keyring goes with --force")
    spec = spec_from_args(args)
    options = CreateOptions(args.force, args.destroy_keyring, args.scrypt_n)
    kms = create_kms(spec, options)
    print(
        f"{spec.kind}:{spec.location}: key {kms.key_id} version {kms.primary_version}, "
        f"keyring id {kms.keyring_id}"
    )
    return 0


def _kms_rotate(args: argparse.Namespace) -> int:
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    kms = open_kms(spec_from_args(args))
    version = kms.rotate()
    print(f"key {kms.key_id}: primary is now version {version}; older versions still decrypt")
    return 0


def _kms_rewrap(args: argparse.Namespace) -> int:
    from pathlib import Path

    from triplock.keys.envelope import EnvelopeError, envelope_files, rewrap_file
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    kms = open_kms(spec_from_args(args))
    files = envelope_files([Path(p) for p in args.paths])
    changed = failed = 0
    for path in files:
        try:
            changed += rewrap_file(kms, path)
        except EnvelopeError as e:
            failed += 1
            print(f"triplock: {e}", file=sys.stderr)
    print(f"rewrapped {changed} of {len(files)} files to {kms.key_id} v{kms.primary_version}")
    return 1 if failed else 0


def _kms_retire(args: argparse.Namespace) -> int:
    """Retire a version only when none of the files shown uses it: triplock cannot know of
    files it is not shown, so the user names every place that holds them."""
    from pathlib import Path

    from triplock.cli import UsageError
    from triplock.keys.envelope import envelope_files, headers_using
    from triplock.keys.kms import open_kms
    from triplock.keys.kms.options import spec_from_args

    kms = open_kms(spec_from_args(args))
    files = envelope_files([Path(p) for p in args.paths])
    using, errors = headers_using(files, kms.key_id, args.version)
    for error in errors:
        print(f"triplock: {error}", file=sys.stderr)
    if errors:
        raise UsageError(f"{len(errors)} file(s) could not be read: version {args.version} kept")
    if using:
        shown = ", ".join(map(str, using[:3])) + (" ..." if len(using) > 3 else "")
        raise UsageError(
            f"{len(using)} of {len(files)} files still use version {args.version} ({shown}): "
            "run `keys kms rewrap` on them first"
        )
    kms.retire(args.version)
    print(
        f"key {kms.key_id}: version {args.version} retired; none of {len(files)} files used it "
        "(a replaced keyring file is kept as NAME.TIMESTAMP.bak: delete it to destroy the "
        "version for good)"
    )
    return 0
