"""A two-level certificate authority on disk, and leaf certificates it issues.

Layout of a CA directory: root.pem, root.key, intermediate.pem, intermediate.key. Leaves are
signed by the intermediate, so the root key can be moved offline after `keys ca`. The four files
are written all or nothing. A certificate never outlives its issuer: its end is clamped to the
issuer's, an expired issuer signs nothing, and `renew_intermediate` gives the intermediate a
new life under the same root."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from triplock.keys import certs
from triplock.keys.files import (
    PUBLIC_MODE,
    Output,
    check_free,
    write_all,
)

ROOT_CERT = "root.pem"
ROOT_KEY = "root.key"
INTERMEDIATE_CERT = "intermediate.pem"
INTERMEDIATE_KEY = "intermediate.key"
_ROOT_WORD = re.compile(r"\broot\b", re.IGNORECASE)


class CaError(Exception):
    """A CA directory that is missing or inconsistent, or an issuer that cannot sign."""


@dataclass(frozen=True)
class CertificateAuthority:
    directory: Path
    root: x509.Certificate
    signer: certs.Issuer
    # Certificates between a leaf and the root (the intermediate), sent by servers with the leaf.
    intermediates: tuple[x509.Certificate, ...]


def intermediate_name(root_name: str) -> str:
    """The word "root" becomes "intermediate" (case kept); a name without it gets a suffix.
    Only the whole word: "Groot Labs CA" is not a root."""
    if _ROOT_WORD.search(root_name):
        return _ROOT_WORD.sub(
            lambda m: "Intermediate" if m.group(0)[0].isupper() else "intermediate", root_name
        )
    return f"{root_name} intermediate"


def create(
    directory: Path,
    common_name: str = "triplock root CA",
    organization: str | None = None,
    key_type: certs.KeyType = "ec",
    force: bool = False,
) -> CertificateAuthority:
    directory = Path(directory)
    names = (ROOT_CERT, ROOT_KEY, INTERMEDIATE_CERT, INTERMEDIATE_KEY)
    check_free([directory / n for n in names], force)
    root_key = certs.new_key(key_type)
    root = certs.root_ca(root_key, common_name, organization)
    inter_key = certs.new_key(key_type)
    root_issuer = certs.Issuer(root, root_key)
    inter_name = intermediate_name(common_name)
    inter = certs.intermediate_ca(inter_key, root_issuer, inter_name, organization)
    write_all(
        [
            Output(directory / ROOT_KEY, certs.key_pem(root_key)),
            Output(directory / ROOT_CERT, certs.cert_pem(root), PUBLIC_MODE),
            Output(directory / INTERMEDIATE_KEY, certs.key_pem(inter_key)),
            Output(directory / INTERMEDIATE_CERT, certs.cert_pem(inter), PUBLIC_MODE),
        ],
        force=force,
    )
    return CertificateAuthority(directory, root, certs.Issuer(inter, inter_key), (inter,))


def load(directory: Path) -> CertificateAuthority:
    directory = Path(directory)
    try:
        root = certs.load_certs((directory / ROOT_CERT).read_bytes())[0]
        inter = certs.load_certs((directory / INTERMEDIATE_CERT).read_bytes())[0]
        inter_key = certs.load_key((directory / INTERMEDIATE_KEY).read_bytes())
    except (OSError, ValueError, IndexError) as e:
        raise CaError(f"{directory} is not a triplock CA directory: {e}") from e
    try:
        inter.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        raise CaError(f"{directory}: {INTERMEDIATE_CERT} was not issued by {ROOT_CERT}") from None
    if inter.public_key() != inter_key.public_key():
        raise CaError(f"{directory}: {INTERMEDIATE_KEY} does not match {INTERMEDIATE_CERT}")
    return CertificateAuthority(directory, root, certs.Issuer(inter, inter_key), (inter,))


@dataclass(frozen=True)
class Renewed:
    authority: CertificateAuthority
    new_key: bool
    warnings: tuple[str, ...]


def renew_intermediate(directory: Path, new_key: bool = False) -> Renewed:
    """A new intermediate certificate under the same root, valid INTERMEDIATE_DAYS (clamped to
    the root). By default it keeps the intermediate's key and name, so leaves issued before
    still verify with it; `new_key` replaces the key too (leaves must then be reissued). The
    old certificate (and key) stay as NAME.TIMESTAMP.bak."""
    directory = Path(directory)
    try:
        root = certs.load_certs((directory / ROOT_CERT).read_bytes())[0]
        root_key = certs.load_key((directory / ROOT_KEY).read_bytes())
        old = certs.load_certs((directory / INTERMEDIATE_CERT).read_bytes())[0]
        old_key = certs.load_key((directory / INTERMEDIATE_KEY).read_bytes())
    except OSError as e:
        raise CaError(f"{e.filename}: {e.strerror} (renewing needs the root key online)") from e
    except (ValueError, IndexError) as e:
        raise CaError(f"{directory} is not a triplock CA directory: {e}") from e
    if root.public_key() != root_key.public_key():
        raise CaError(f"{directory}: {ROOT_KEY} does not match {ROOT_CERT}")
    root_issuer = certs.Issuer(root, root_key)
    key = certs.new_key(_key_type(old_key)) if new_key else old_key
    org = [a.value for a in old.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    common = old.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    try:
        inter = certs.intermediate_ca(key, root_issuer, str(common), str(org[0]) if org else None)
    except certs.IssuerError as e:
        raise CaError(f"{directory / ROOT_CERT}: {e}: make a new CA with `keys ca`") from None
    outputs = [Output(directory / INTERMEDIATE_CERT, certs.cert_pem(inter), PUBLIC_MODE)]
    if new_key:
        outputs.append(Output(directory / INTERMEDIATE_KEY, certs.key_pem(key)))
    write_all(outputs, force=True, keep="stamped")
    warnings = _short_life(root_issuer, certs.INTERMEDIATE_DAYS, "the intermediate", ROOT_CERT)
    authority = CertificateAuthority(directory, root, certs.Issuer(inter, key), (inter,))
    return Renewed(authority, new_key, warnings)


def _key_type(key: certs.PrivateKey) -> certs.KeyType:
    return "ec" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"


def _short_life(issuer: certs.Issuer, days: int, what: str, name: str) -> tuple[str, ...]:
    """A warning when the issuer ends before the `days` asked for: the certificate ends then."""
    asked = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    if issuer.expires >= asked:
        return ()
    return (
        f"{name} expires on {issuer.expires:%Y-%m-%d %H:%M} UTC, within the {days} days asked "
        f"for {what}: it ends then too",
    )


@dataclass(frozen=True)
class IssuedPaths:
    key: Path
    chain: Path  # the leaf, then the intermediates: what a server sends ("full chain")
    root: Path
    warnings: tuple[str, ...] = ()


def issue(
    ca: CertificateAuthority,
    out: Path,
    name: str,
    common_name: str,
    sans: list[str],
    usage: certs.Usage = "server",
    key_type: certs.KeyType = "ec",
    days: int = certs.LEAF_DAYS,
    force: bool = False,
) -> IssuedPaths:
    out = Path(out)
    root = certs.cert_pem(ca.root)
    same_root = (out / "ca.pem").exists() and (out / "ca.pem").read_bytes() == root
    paths = IssuedPaths(out / f"{name}.key", out / f"{name}.pem", out / "ca.pem")
    check_free([paths.key, paths.chain, *([] if same_root else [paths.root])], force)
    key = certs.new_key(key_type)
    try:
        cert = certs.leaf(key, ca.signer, common_name, sans, usage, days)
    except certs.IssuerError as e:
        raise CaError(
            f"{ca.directory / INTERMEDIATE_CERT}: {e}: renew it with "
            f"`triplock keys ca --out {ca.directory} --renew-intermediate`"
        ) from None
    # No leaf-only file: a server configured with one would send an incomplete chain.
    chain = b"".join(certs.cert_pem(c) for c in (cert, *ca.intermediates))
    outputs = [Output(paths.key, certs.key_pem(key)), Output(paths.chain, chain, PUBLIC_MODE)]
    if not same_root:  # the trust anchor next to the leaf, for clients and truststores
        outputs.append(Output(paths.root, root, PUBLIC_MODE))
    write_all(outputs, force=force)
    warnings = _short_life(ca.signer, days, f"{name}.pem", INTERMEDIATE_CERT)
    return IssuedPaths(paths.key, paths.chain, paths.root, warnings)
