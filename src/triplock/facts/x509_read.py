"""Reading X.509 certificates and keys with `cryptography` into triplock's certificate facts.

Kept apart from facts/certs.py so that importing the facts (every audit does) does not import
`cryptography` (a fifth of a second); only inputs that hold certificates pay for it.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID

from triplock.facts.certs import CertInfo, KeyType

E = TypeVar("E", bound=x509.ExtensionType)

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}

_KEY_USAGE_NAMES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


def _dsa_key_types() -> tuple[type, ...]:
    """DSA's key classes, where this `cryptography` still has them. It deprecates DSA (a
    warning on the classes' first use, from 51 on, which the CLI would print) and will remove
    it; until then a DSA key is still named for what it is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from cryptography.hazmat.primitives.asymmetric import dsa

            return (dsa.DSAPublicKey, dsa.DSAPrivateKey)
        except (ImportError, AttributeError):
            return ()


_DSA_KEYS = _dsa_key_types()


def spki_sha256(public_key: Any) -> str:
    """The SHA-256 of a public key's DER SubjectPublicKeyInfo, in hex."""
    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def key_facts(key: object) -> tuple[KeyType, int, str | None]:
    """(type, size in bits, curve name) of a public or private key object of `cryptography`."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey | ed448.Ed448PrivateKey):
        return "Ed448", 456, None
    if isinstance(key, _DSA_KEYS):
        return "DSA", int(getattr(key, "key_size", 0)), None
    return "unknown", 0, None


def cert_info(cert: x509.Certificate) -> CertInfo:
    try:
        public_key: Any = cert.public_key()
    except UnsupportedAlgorithm:  # GOST, SM2, post-quantum...: still a certificate
        public_key = None
    key_type, bits, curve = key_facts(public_key)
    ext = cert.extensions
    is_ca, path_len = False, None
    bc = _extension(ext, x509.BasicConstraints)
    if bc is not None:
        is_ca, path_len = bc.ca, bc.path_length
    ski = _extension(ext, x509.SubjectKeyIdentifier)
    aki = _extension(ext, x509.AuthorityKeyIdentifier)
    subject = cert.subject.rfc4514_string()
    issuer = cert.issuer.rfc4514_string()
    ski_hex = ski.digest.hex() if ski is not None else None
    aki_hex = aki.key_identifier.hex() if aki is not None and aki.key_identifier else None
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name if algorithm is not None else None
    except UnsupportedAlgorithm:
        signature_hash = "unknown"
    return CertInfo(
        subject=subject,
        issuer=issuer,
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        key_bits=bits,
        curve=curve,
        signature_hash=signature_hash,
        sans=_sans(ext),
        is_ca=is_ca,
        path_len=path_len,
        key_usage=_key_usage(ext),
        extended_key_usage=_eku(ext),
        self_signed=cert.subject == cert.issuer
        and (aki_hex is None or ski_hex is None or aki_hex == ski_hex),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        subject_key_id=ski_hex,
        authority_key_id=aki_hex,
        public_key_sha256=spki_sha256(public_key) if public_key is not None else "",
    )


def _extension(ext: x509.Extensions, kind: type[E]) -> E | None:
    try:
        return ext.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _sans(ext: x509.Extensions) -> tuple[str, ...]:
    san = _extension(ext, x509.SubjectAlternativeName)
    if san is None:
        return ()
    names: list[str] = [f"DNS:{n}" for n in san.get_values_for_type(x509.DNSName)]
    names += [f"IP:{ip}" for ip in san.get_values_for_type(x509.IPAddress)]
    names += [f"URI:{u}" for u in san.get_values_for_type(x509.UniformResourceIdentifier)]
    names += [f"email:{m}" for m in san.get_values_for_type(x509.RFC822Name)]
    return tuple(names)


def _key_usage(ext: x509.Extensions) -> tuple[str, ...]:
    ku = _extension(ext, x509.KeyUsage)
    if ku is None:
        return ()
    names = [n for n in _KEY_USAGE_NAMES if getattr(ku, n)]
    if ku.key_agreement:
        names += [n for n in ("encipher_only", "decipher_only") if getattr(ku, n)]
    return tuple(names)


def _eku(ext: x509.Extensions) -> tuple[str, ...]:
    eku = _extension(ext, x509.ExtendedKeyUsage)
    if eku is None:
        return ()
    return tuple(_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku)
