"""The certs source: PEM/DER certificates and keys, PKCS#12 (openssl), JKS and JCEKS (keytool)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.certs.pki import (
    ec_key,
    issue,
    keytool_secret_key,
    keytool_store,
    keytool_truststore,
    openssl_pkcs12,
    pki,
    write,
)
from tests.helpers import need_command, run_cli
from triplock.audit import AuditOptions
from triplock.facts.certs import CertChain, Keystore, KeystoreReference, PrivateKeyInfo
from triplock.inventory import Inventory
from triplock.sources.certs import PASSWORD_ENV, SOURCE
from triplock.sources.discovery import discover

SECRET = "s3cr3t-Keystore-pw-91d2"


def inventory_of(*paths: Path, **options: object) -> Inventory:
    inv = Inventory()
    inv.options = {"paths": [str(p) for p in paths], **options}
    discover([str(p) for p in paths], [*_spark_sources(), SOURCE], inv)
    return inv


def _spark_sources() -> list[object]:
    from triplock.sources.spark_conf import SOURCE as SPARK

    return [SPARK]


@pytest.fixture(scope="module")
def tools() -> tuple[str, str]:
    return need_command("keytool"), need_command("openssl")


@pytest.fixture(scope="module")
def made(tools: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Keystores made once per module by the real keytool and openssl (a JVM start each)."""
    root, inter, leaf = pki()
    work = tmp_path_factory.mktemp("stores")
    jceks = keytool_store(*tools, work / "keys.jceks", "JCEKS", [leaf, inter], "changeit")
    keytool_secret_key(tools[0], jceks, "changeit")
    paths = [
        keytool_store(*tools, work / "server.jks", "JKS", [leaf, inter], SECRET),
        openssl_pkcs12(tools[1], work / "server.p12", [leaf, inter], SECRET),
        keytool_truststore(tools[0], work / "trust.jks", root, "changeit"),
        jceks,
    ]
    return {p.name: p.read_bytes() for p in paths}


def place(made: dict[str, bytes], name: str, dest: Path) -> Path:
    return write(dest, made[name])


def test_pem_bundle_is_ordered_leaf_first_with_its_key(tmp_path: Path) -> None:
    _, inter, leaf = pki()
    bundle = write(tmp_path / "server.pem", inter.pem + leaf.key_pem() + leaf.pem, 0o644)
    inv = inventory_of(bundle)
    [chain] = inv.of(CertChain)
    assert [c.subject for c in chain.certificates] == [
        "CN=spark.example.svc",
        "CN=triplock test intermediate",
    ]
    assert chain.has_private_key and chain.role == "server" and chain.origin == "file"
    assert chain.location.line == 1
    [key] = inv.of(PrivateKeyInfo)
    assert (key.key_type, key.key_bits, key.encrypted, key.mode) == ("RSA", 2048, False, 0o644)
    assert key.location.line == inter.pem.count(b"\n") + 1
    assert not inv.errors


def test_key_of_another_certificate_is_not_this_chains_key(tmp_path: Path) -> None:
    _, inter, leaf = pki()
    inv = inventory_of(write(tmp_path / "mixed.pem", leaf.pem + inter.key_pem()))
    [chain] = inv.of(CertChain)
    assert not chain.has_private_key


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda i: i.key_pem(b"pass-phrase-1"), "pkcs8"),
        (lambda i: i.key_pem(b"pass-phrase-1", traditional=True), "pkcs1"),
    ],
)
def test_encrypted_keys_are_seen_as_encrypted(tmp_path: Path, make: object, fmt: str) -> None:
    _, _, leaf = pki()
    path = write(tmp_path / "server.key", make(leaf), 0o640)  # type: ignore[operator]
    [key] = inventory_of(path).of(PrivateKeyInfo)
    assert key.encrypted and key.format == fmt and key.mode == 0o640


def test_ec_key_and_der_files(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    ec_leaf = issue("ec.example", ec_key())
    write(tmp_path / "ec.key", ec_leaf.key_pem(traditional=True))
    write(tmp_path / "ec.der", ec_leaf.der)
    der_key = ec_leaf.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write(tmp_path / "ec-key.der", der_key)
    inv = inventory_of(tmp_path)
    keys = sorted(inv.of(PrivateKeyInfo), key=lambda k: k.format)
    assert [(k.format, k.key_type, k.curve) for k in keys] == [
        ("der", "EC", "secp256r1"),
        ("sec1", "EC", "secp256r1"),
    ]
    [chain] = inv.of(CertChain)
    assert chain.leaf is not None and chain.leaf.key_type == "EC" and chain.leaf.key_bits == 256


def test_malformed_inputs_are_errors_not_tracebacks(tmp_path: Path) -> None:
    write(
        tmp_path / "bad.pem",
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    write(tmp_path / "bad.key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    write(tmp_path / "bad.jks", b"\xfe\xed\xfe\xed" + b"\x00\x00\x00\x02garbage")
    inv = inventory_of(tmp_path)
    reasons = {Path(e.path).name: e.reason for e in inv.errors}
    assert set(reasons) == {"bad.pem", "bad.key", "bad.jks"}
    assert all(r.startswith("certs:") for r in reasons.values())


def test_yaml_embedding_a_pem_is_left_to_its_own_source(tmp_path: Path) -> None:
    _, _, leaf = pki()
    text = b"apiVersion: v1\nkind: Secret\nstringData:\n  tls.crt: |\n    " + leaf.pem
    from triplock.sources.interface import InputFile

    assert not SOURCE.claims(InputFile(str(tmp_path / "secret.yaml"), text))


def test_pkcs12_from_openssl_opens_with_the_password_file(
    tmp_path: Path, made: dict[str, bytes]
) -> None:
    store = place(made, "server.p12", tmp_path / "server.p12")
    pwfile = write(tmp_path.parent / f"{tmp_path.name}-pw.txt", f"other\n{SECRET}\n".encode())
    inv = inventory_of(store, keystore_password_file=[str(pwfile)])
    [ks] = inv.of(Keystore)
    assert (ks.store_type, ks.opened, ks.password_source) == ("PKCS12", True, "file")
    assert ks.private_key_entries == 1 and not ks.default_password
    [chain] = inv.of(CertChain)
    assert chain.origin == "keystore" and chain.has_private_key and len(chain.certificates) == 2
    assert chain.location.object == "alias server"


def test_unknown_password_leaves_keystore_unopened(tmp_path: Path, made: dict[str, bytes]) -> None:
    store = place(made, "server.p12", tmp_path / "server.p12")
    [ks] = inventory_of(store).of(Keystore)
    assert not ks.opened and ks.password_source is None


def test_env_password_opens_jks_made_by_keytool(
    tmp_path: Path, made: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = place(made, "server.jks", tmp_path / "server.jks")
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    inv = inventory_of(store)
    [ks] = inv.of(Keystore)
    assert (ks.store_type, ks.opened, ks.password_source) == ("JKS", True, "env")
    [chain] = inv.of(CertChain)
    assert chain.certificates[0].subject == "CN=spark.example.svc"
    assert chain.role == "server"


def test_jceks_with_secret_key_and_default_password(tmp_path: Path, made: dict[str, bytes]) -> None:
    store = place(made, "keys.jceks", tmp_path / "keys.jceks")
    [ks] = inventory_of(store).of(Keystore)
    assert (ks.store_type, ks.opened, ks.password_source) == ("JCEKS", True, "default")
    assert ks.default_password and ks.secret_key_entries == 1 and ks.private_key_entries == 1


def test_truststore_holds_ca_chains(tmp_path: Path, made: dict[str, bytes]) -> None:
    store = place(made, "trust.jks", tmp_path / "trust.jks")
    inv = inventory_of(store)
    [ks] = inv.of(Keystore)
    assert ks.trusted_entries == 1 and ks.private_key_entries == 0
    assert [c.role for c in inv.of(CertChain)] == ["ca"]


def test_spark_conf_password_opens_referenced_keystore_inside_the_tree(
    tmp_path: Path, made: dict[str, bytes]
) -> None:
    store = place(made, "server.jks", tmp_path / "ks" / "server.jks")
    conf = write(
        tmp_path / "spark-defaults.conf",
        (
            f"spark.ssl.enabled true\nspark.ssl.ui.keyStore {store}\n"
            f"spark.ssl.keyStorePassword {SECRET}\n"
            "spark.ssl.trustStore /etc/outside/trust.jks\n"
        ).encode(),
    )
    inv = inventory_of(conf)  # the conf alone: the keystore is found through the setting
    [ks] = inv.of(Keystore)
    assert ks.opened and ks.password_source == "config"
    refs = sorted(inv.of(KeystoreReference), key=lambda r: r.purpose)
    assert [(r.purpose, r.resolved) for r in refs] == [
        ("keystore", str(store)),
        ("truststore", None),
    ]
    assert [s.key for s in refs[0].passwords] == ["spark.ssl.keyStorePassword"]


def test_reference_outside_the_tree_is_not_read(tmp_path: Path, made: dict[str, bytes]) -> None:
    outside = place(made, "server.jks", tmp_path / "outside.jks")
    conf = write(
        tmp_path / "conf" / "spark-defaults.conf",
        f"spark.ssl.keyStore ../outside.jks\nspark.ssl.keyStorePassword {SECRET}\n".encode(),
    )
    inv = inventory_of(conf)
    assert not inv.of(Keystore)
    assert [r.resolved for r in inv.of(KeystoreReference)] == [None]
    assert outside.exists()


def test_cli_never_prints_the_password(tmp_path: Path, made: dict[str, bytes]) -> None:
    _, _, leaf = pki()
    place(made, "server.jks", tmp_path / "server.jks")
    write(
        tmp_path / "spark-defaults.conf",
        f"spark.ssl.keyStore server.jks\nspark.ssl.keyStorePassword {SECRET}\n".encode(),
    )
    write(tmp_path / "server.key", leaf.key_pem(), 0o644)
    pwfile = write(tmp_path.parent / f"{tmp_path.name}.pw", SECRET.encode())
    for fmt in ("json", "table"):
        result = run_cli(
            "audit", str(tmp_path), "--format", fmt, "--keystore-password-file", str(pwfile)
        )
        assert SECRET not in result.out + result.err
        body = leaf.key_pem().decode().splitlines()[1]
        assert body not in result.out + result.err
    data = json.loads(run_cli("audit", str(tmp_path), "--format", "json").out)
    assert {i["kind"] for i in data["inputs"]} >= {"certs", "spark-conf"}


def test_audit_options_carry_paths_to_link(tmp_path: Path) -> None:
    from triplock.audit import audit

    _, _, leaf = pki()
    write(tmp_path / "leaf.pem", leaf.pem)
    result = audit(AuditOptions(paths=[str(tmp_path)]))
    assert any(f.rule.id == "CERT-001" for f in result.findings)


def test_certificate_pairs_with_a_key_in_another_file(tmp_path: Path) -> None:
    _, _, leaf = pki()
    write(tmp_path / "server.crt", leaf.pem)
    write(tmp_path / "server.key", leaf.key_pem())
    [chain] = inventory_of(tmp_path).of(CertChain)
    assert chain.has_private_key and chain.role == "server"


def test_hadoop_ssl_server_xml_password_opens_its_keystore(
    tmp_path: Path, made: dict[str, bytes]
) -> None:
    from triplock.sources.hadoop_xml import SOURCE as HADOOP

    place(made, "server.jks", tmp_path / "conf" / "server.jks")
    xml = (
        '<?xml version="1.0"?>\n<configuration>\n'
        "<property><name>ssl.server.keystore.location</name><value>server.jks</value></property>\n"
        f"<property><name>ssl.server.keystore.password</name><value>{SECRET}</value></property>\n"
        "</configuration>\n"
    )
    write(tmp_path / "conf" / "ssl-server.xml", xml.encode())
    inv = Inventory()
    inv.options = {"paths": [str(tmp_path)]}
    discover([str(tmp_path)], [HADOOP, SOURCE], inv)  # link() order is priority order
    [ks] = inv.of(Keystore)
    assert ks.opened and ks.password_source == "config"
    refs = inv.of(KeystoreReference)
    assert refs and all(r.passwords[0].key == "ssl.server.keystore.password" for r in refs)
    assert refs[0].passwords[0].location.line == 4


def test_truncated_and_corrupted_stores_never_raise(tmp_path: Path, made: dict[str, bytes]) -> None:
    _, _, leaf = pki()
    jks, p12 = made["keys.jceks"], made["server.p12"]
    bad = tmp_path / "bad"
    for name, data in (("a.jceks", jks), ("a.p12", p12), ("a.der", leaf.der), ("a.pem", leaf.pem)):
        for cut in range(1, len(data), max(1, len(data) // 23)):
            write(bad / f"cut{cut}-{name}", data[:cut])
            flipped = bytearray(data)
            flipped[cut] ^= 0xFF
            write(bad / f"flip{cut}-{name}", bytes(flipped))
    inv = inventory_of(bad)  # must not raise
    assert len(inv.inputs) + len(inv.errors) >= 4 * 2 * 20


def test_pkcs12_with_a_hostile_iteration_count_is_refused(
    tmp_path: Path, made: dict[str, bytes]
) -> None:
    from pyasn1.codec.der import decoder, encoder

    store = tmp_path / "slow.p12"
    place(made, "server.p12", store)
    data = store.read_bytes()
    # openssl writes the MAC iteration count 2048 as the DER INTEGER 02 02 08 00 at the end.
    assert data.endswith(b"\x02\x02\x08\x00")
    write(store, data[:-4] + b"\x02\x02\x7f\xff")  # 32767: still a real count
    [ks] = inventory_of(store).of(Keystore)
    assert not ks.opened  # the MAC no longer matches, but it was tried
    pfx, _ = decoder.decode(data)
    pfx[2][2] = 2**31 - 1
    write(store, encoder.encode(pfx))
    inv = inventory_of(store)
    assert not inv.of(Keystore)
    assert "iteration count" in inv.errors[0].reason


def test_certificate_with_a_key_cryptography_cannot_load_is_still_read(
    tmp_path: Path, tools: tuple[str, str]
) -> None:
    import subprocess

    crt, key = tmp_path / "sm2.crt", tmp_path / "sm2.key"
    subprocess.run(
        [
            tools[1],
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime239v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "30",
            "-subj",
            "/CN=odd",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.unlink()
    inv = inventory_of(crt)
    [chain] = inv.of(CertChain)
    assert chain.leaf is not None and chain.leaf.key_type == "unknown"
    assert chain.leaf.signature_hash == "sha256" and not inv.errors


def test_missing_password_file_is_an_input_error(tmp_path: Path) -> None:
    _, _, leaf = pki()
    write(tmp_path / "leaf.pem", leaf.pem)
    result = run_cli(
        "audit",
        str(tmp_path),
        "--format",
        "json",
        "--keystore-password-file",
        str(tmp_path / "nope.txt"),
    )
    errors = result.json()["errors"]
    assert [e["reason"] for e in errors] == [
        "keystore password file not read: no such file or directory"
    ]


def test_an_endless_password_file_is_read_up_to_the_cap(tmp_path: Path) -> None:
    _, _, leaf = pki()
    write(tmp_path / "leaf.pem", leaf.pem)
    result = run_cli(
        "audit", str(tmp_path), "--format", "json", "--keystore-password-file", "/dev/zero"
    )
    assert [e["reason"] for e in result.json()["errors"]] == [
        "keystore password file not read: too large (more than 10,485,760 bytes; limit 10,485,760)"
    ]
