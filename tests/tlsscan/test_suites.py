"""The cipher suite registry: complete, unique, and attributes derived right from names."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import need_command
from triplock.tlsscan import suites


def test_registry_is_complete_and_unique() -> None:
    registry = suites.registry()
    assert len(registry) >= 350
    assert len({s.name for s in registry.values()}) == len(registry)
    assert len(suites.tls13()) >= 5 and len(suites.sslv2()) == 7


@pytest.mark.parametrize(
    ("name", "attrs"),
    [
        (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            {"kex": "ECDHE", "auth": "RSA", "bits": 128, "aead": True, "forward_secrecy": True},
        ),
        (
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            {"bits": 112, "triple_des": True, "small_block": True, "forward_secrecy": False},
        ),
        (
            "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
            {"anon": True, "export": True, "rc4": True, "bits": 40, "insecure": True},
        ),
        ("TLS_RSA_WITH_NULL_SHA256", {"null": True, "bits": 0, "insecure": True}),
        ("TLS_AES_256_GCM_SHA384", {"tls13": True, "bits": 256, "aead": True}),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", {"aead": True, "mac": "AEAD", "auth": "ECDSA"}),
        ("TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", {"kex": "DHE_PSK", "forward_secrecy": True}),
        ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", {"bits": 256, "aead": True}),
        ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", {"sslv2": True, "triple_des": True}),
        # the digit in a cipher's name is not its key size
        ("TLS_RSA_WITH_RC4_128_SHA", {"bits": 128, "rc4": True, "insecure": True}),
        ("TLS_SM4_GCM_SM3", {"bits": 128, "aead": True}),
    ],
)
def test_attributes(name: str, attrs: dict[str, object]) -> None:
    suite = suites.by_name(name)
    assert suite is not None
    for key, value in attrs.items():
        assert getattr(suite, key) == value, key


def test_every_suite_openssl_knows_is_in_the_registry() -> None:
    need_command("openssl")
    out = subprocess.run(
        ["openssl", "ciphers", "-stdname", "-s", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split()[0] for line in out.splitlines() if line.startswith("TLS_")}
    assert names and names <= {s.name for s in suites.registry().values()}


def test_first_batch_holds_the_common_suites() -> None:
    first = {s.name for s in suites.tls12_and_older()[:128]}
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in first
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in first
