"""X.509 building blocks: key pairs and certificates with the right constraints and usages.

Defaults follow the guide and Mozilla's intermediate profile: ECDSA P-256 (RSA 3072 on request),
SHA-256 signatures, leaves valid 90 days, CA certificates with basicConstraints critical and a
path length, leaves with CA:FALSE, digitalSignature (+ keyEncipherment for RSA) and serverAuth
and/or clientAuth."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Usage = Literal["server", "client", "both"]

LEAF_DAYS = 90
INTERMEDIATE_DAYS = 3 * 365
ROOT_DAYS = 10 * 365
RSA_BITS = 3072
# Backdating absorbs clock skew between the machine that signs and the ones that verify.
_BACKDATE = dt.timedelta(minutes=5)
# A DNS label (RFC 1123 section 2.1): letters, digits and inner hyphens, 1 to 63 characters.
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_MAX_DNS_NAME = 253


class IssuerError(ValueError):
    """An issuer that cannot sign now: expired, or not valid yet."""


def new_key(kind: KeyType = "ec") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM. Unencrypted on purpose: servers (Spark, nginx) read it without a prompt; the
    file's 0600 mode and its Secret volume protect it."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("only ECDSA and RSA keys are supported")
    return key


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certs(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def _name(common_name: str, organization: str | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: PrivateKey

    @property
    def expires(self) -> dt.datetime:
        return self.cert.not_valid_after_utc

    def check_can_sign(self, now: dt.datetime) -> None:
        name = self.cert.subject.rfc4514_string()
        if now >= self.expires:
            raise IssuerError(f"the issuer {name!r} expired on {self.expires:%Y-%m-%d}")
        if now < self.cert.not_valid_before_utc:
            start = self.cert.not_valid_before_utc
            raise IssuerError(f"the issuer {name!r} is not valid before {start:%Y-%m-%d}")


def not_after(days: int, issuer: Issuer | None, now: dt.datetime) -> dt.datetime:
    """The end of a certificate's life: `days` from now, but never after its issuer's end (a
    certificate cannot be trusted longer than the one that vouches for it)."""
    end = now + dt.timedelta(days=days)
    return end if issuer is None else min(end, issuer.expires)


def _builder(
    subject: x509.Name, public: PrivateKey, issuer: Issuer | None, days: int
) -> x509.CertificateBuilder:
    """A certificate `days` long, clamped to `issuer`'s life (None: self-signed)."""
    now = dt.datetime.now(dt.UTC)
    if issuer is not None:
        issuer.check_can_sign(now)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.cert.subject)
        .public_key(public.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after(days, issuer, now))
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public.public_key()), critical=False
        )
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def root_ca(
    key: PrivateKey, common_name: str, organization: str | None = None, days: int = ROOT_DAYS
) -> x509.Certificate:
    name = _name(common_name, organization)
    return (
        _builder(name, key, None, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .sign(key, hashes.SHA256())
    )


def intermediate_ca(
    key: PrivateKey,
    issuer: Issuer,
    common_name: str,
    organization: str | None = None,
    days: int = INTERMEDIATE_DAYS,
) -> x509.Certificate:
    return (
        _builder(_name(common_name, organization), key, issuer, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(_authority_key_id(issuer), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )


def _authority_key_id(issuer: Issuer) -> x509.AuthorityKeyIdentifier:
    ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def parse_san(names: list[str]) -> list[x509.GeneralName]:
    """DNS names and IP addresses, as given on the command line (IP literals become IP SANs).
    Anything else is a ValueError naming it."""
    out: list[x509.GeneralName] = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            check_dns_name(name)
            out.append(x509.DNSName(name))
    return out


def check_dns_name(name: str) -> None:
    """A host name of RFC 1123 labels, at most 253 characters; the leftmost label may be the
    wildcard `*` (RFC 6125: a whole label, never the last one)."""
    labels = name.split(".")
    if name.startswith("*."):
        labels = labels[1:]
    if (
        not name
        or len(name) > _MAX_DNS_NAME
        or not labels
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise ValueError(
            f"{name!r} is not a DNS name (RFC 1123 labels of letters, digits and inner hyphens, "
            "a leftmost '*' at most) nor an IP address"
        )


def leaf(
    key: PrivateKey,
    issuer: Issuer,
    common_name: str,
    sans: list[str],
    usage: Usage = "server",
    days: int = LEAF_DAYS,
) -> x509.Certificate:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    eku = {
        "server": [ExtendedKeyUsageOID.SERVER_AUTH],
        "client": [ExtendedKeyUsageOID.CLIENT_AUTH],
        "both": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
    }[usage]
    names = parse_san(sans or [common_name])
    return (
        _builder(_name(common_name, None), key, issuer, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=is_rsa,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(_authority_key_id(issuer), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
