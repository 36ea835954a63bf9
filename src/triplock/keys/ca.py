"""A two-level certificate authority on disk, and leaf certificates it issues.

Layout of a CA directory: root.pem, root.key, intermediate.pem, intermediate.key. Leaves are
signed by the intermediate, so the root key can be moved offline after `keys ca`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from triplock.keys import certs
from triplock.keys.files import check_free, write_public, write_secret

ROOT_CERT = "root.pem"
ROOT_KEY = "root.key"
INTERMEDIATE_CERT = "intermediate.pem"
INTERMEDIATE_KEY = "intermediate.key"


class CaError(Exception):
    """A CA directory that is missing or inconsistent."""


@dataclass(frozen=True)
class CertificateAuthority:
    directory: Path
    root: x509.Certificate
    signer: certs.Issuer
    # Certificates between a leaf and the root (the intermediate), sent by servers with the leaf.
    intermediates: tuple[x509.Certificate, ...]


def create(
    directory: Path,
    common_name: str = "triplock root CA",
    organization: str | None = None,
    key_type: certs.KeyType = "ec",
    force: bool = False,
) -> CertificateAuthority:
    directory = Path(directory)
    outputs = [directory / n for n in (ROOT_CERT, ROOT_KEY, INTERMEDIATE_CERT, INTERMEDIATE_KEY)]
    check_free(outputs, force)
    root_key = certs.new_key(key_type)
    root = certs.root_ca(root_key, common_name, organization)
    inter_key = certs.new_key(key_type)
    inter_name = (
        common_name.replace("root", "intermediate")
        if "root" in common_name
        else (f"{common_name} intermediate")
    )
    root_issuer = certs.Issuer(root, root_key)
    inter = certs.intermediate_ca(inter_key, root_issuer, inter_name, organization)
    write_secret(directory / ROOT_KEY, certs.key_pem(root_key), force=force)
    write_public(directory / ROOT_CERT, certs.cert_pem(root), force=force)
    write_secret(directory / INTERMEDIATE_KEY, certs.key_pem(inter_key), force=force)
    write_public(directory / INTERMEDIATE_CERT, certs.cert_pem(inter), force=force)
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
class IssuedPaths:
    key: Path
    chain: Path  # the leaf, then the intermediates: what a server sends ("full chain")
    root: Path


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
    paths = IssuedPaths(out / f"{name}.key", out / f"{name}.pem", out / "ca.pem")
    root = certs.cert_pem(ca.root)
    same_root = paths.root.exists() and paths.root.read_bytes() == root
    check_free([paths.key, paths.chain, *([] if same_root else [paths.root])], force)
    key = certs.new_key(key_type)
    cert = certs.leaf(key, ca.signer, common_name, sans, usage, days)
    write_secret(paths.key, certs.key_pem(key), force=force)
    # No leaf-only file: a server configured with one would send an incomplete chain.
    chain = b"".join(certs.cert_pem(c) for c in (cert, *ca.intermediates))
    write_public(paths.chain, chain, force=force)
    # The trust anchor next to the leaf, for clients and truststores.
    if not same_root:
        write_public(paths.root, root, force=force)
    return paths
