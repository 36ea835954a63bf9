from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.helpers import need_command, need_module
from tests.helpers.keys import Pki
from triplock.keys import ca, keystore


def keytool_list(store: Path, password: str, store_type: str) -> str:
    keytool = need_command("keytool")
    result = subprocess.run(
        [keytool, "-list", "-v", "-keystore", str(store), "-storetype", store_type],
        input=password + "\n", capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_keytool_lists_the_pkcs12_keystore_with_its_chain(pki: Pki) -> None:
    store = pki.certs / "server.p12"
    out = keytool_list(store, (pki.certs / "server.p12.pass").read_text(), "PKCS12")
    assert "PrivateKeyEntry" in out
    assert "Certificate chain length: 2" in out


def test_keytool_lists_the_truststore_as_trusted(pki: Pki) -> None:
    store = pki.certs / "truststore.p12"
    out = keytool_list(store, (pki.certs / "truststore.p12.pass").read_text(), "PKCS12")
    assert "trustedCertEntry" in out
    assert "PrivateKeyEntry" not in out


def test_keystore_round_trips_in_python(pki: Pki) -> None:
    password = (pki.certs / "server.p12.pass").read_bytes()
    loaded = pkcs12.load_pkcs12((pki.certs / "server.p12").read_bytes(), password)
    assert loaded.key is not None and loaded.cert is not None
    assert len(loaded.additional_certs) == 1
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12((pki.certs / "server.p12").read_bytes(), b"wrong")


def test_jks_on_request(tmp_path: Path) -> None:
    jks = need_module("jks")
    authority = ca.create(tmp_path / "ca")
    issued = ca.issue(authority, tmp_path, "s", "s.example", ["s.example"])
    paths = keystore.write_keystore(issued.key, issued.chain, tmp_path / "s.jks", store_type="jks")
    password = paths.password.read_text()
    store = jks.KeyStore.load(str(paths.store), password)
    assert list(store.private_keys) == ["server"]
    assert len(store.private_keys["server"].cert_chain) == 2
    assert "PrivateKeyEntry" in keytool_list(paths.store, password, "JKS")


def test_key_and_chain_must_match(tmp_path: Path) -> None:
    authority = ca.create(tmp_path / "ca")
    a = ca.issue(authority, tmp_path, "a", "a", ["a"])
    b = ca.issue(authority, tmp_path, "b", "b", ["b"])
    with pytest.raises(keystore.KeystoreError, match="does not match"):
        keystore.write_keystore(a.key, b.chain, tmp_path / "x.p12")
    assert not (tmp_path / "x.p12").exists() and not (tmp_path / "x.p12.pass").exists()


def test_passwords_are_random(tmp_path: Path) -> None:
    assert len({keystore.new_password() for _ in range(5)}) == 5
    assert len(keystore.new_password()) >= 32
