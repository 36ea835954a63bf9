"""Ceph keys: literal keys, key file and keyring modes, keyring capabilities."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT, run_cli, write
from tests.helpers.ceph_audit import HARDENED, INSECURE, lines, where

KEYRING = "ceph.client.app.keyring"


def _copy(source: Path, tmp: Path, mode: int) -> Path:
    # git keeps no permission bits but the executable one: set the mode the case is about
    target = tmp / source.name
    shutil.copytree(source, target)
    (target / KEYRING).chmod(mode)
    return target


def test_keyring_readable_by_everyone(tmp_path: Path) -> None:
    tree = _copy(INSECURE, tmp_path, 0o644)
    assert where("CEPH-012", "fail", tree) == [(KEYRING, None)]


def test_keyring_0600_passes(tmp_path: Path) -> None:
    tree = _copy(HARDENED, tmp_path, 0o600)
    assert where("CEPH-012", "pass", tree) == [(KEYRING, None)]
    assert where("CEPH-012", "fail", tree) == []


def test_key_files_named_by_the_conf(tmp_path: Path) -> None:
    write(tmp_path, "vault.token", "s.token\n", mode=0o640)
    write(tmp_path, "rgw.pem", "pem\n", mode=0o600)
    write(
        tmp_path,
        "ceph.conf",
        "[global]\nfsid = x\nkeyfile = /etc/ceph/admin.key\n[client.rgw.a]\n"
        "rgw_crypt_vault_token_file = /etc/ceph/vault.token\n"
        "rgw_frontends = beast ssl_port=443 ssl_certificate=/etc/ceph/rgw.pem\n",
    )
    # found next to the conf by file name; admin.key is not in the tree, so not judged
    assert lines("CEPH-009", "fail", tmp_path) == [5]
    assert lines("CEPH-009", "pass", tmp_path) == [6]


def test_keyring_named_by_the_conf_is_judged_once(tmp_path: Path) -> None:
    tree = _copy(INSECURE, tmp_path, 0o644)
    assert lines("CEPH-009", "fail", tree) == []  # CEPH-012 judges the keyring itself
    assert len(lines("CEPH-012", "fail", tree)) == 1


def test_wide_caps_fail_but_admin_is_expected() -> None:
    assert where("CEPH-010", "fail", INSECURE / KEYRING) == [(KEYRING, 3), (KEYRING, 4)]
    assert where("CEPH-010", "pass", HARDENED / KEYRING) == [(KEYRING, 1)]


def test_canary_keys_are_reported_but_never_shown() -> None:
    canary = ROOT / "tests" / "fixtures" / "canary" / "ceph"
    result = run_cli("audit", str(canary), "--format", "json", "--fail-on", "critical")
    assert "CANARY" not in result.out
    report = result.json()
    # ceph.conf, and the ceph.conf inside rook-config-override
    assert where("CEPH-008", "fail", canary) == [
        ("ceph.conf", 5),
        ("ceph.conf", 7),
        ("rook.yaml", 37),
    ]
    assert where("CEPH-023", "fail", canary) == [
        ("ceph.conf", 10),
        ("ceph.conf", 11),
        ("ceph.conf", 13),
        ("rook.yaml", 38),
    ]
    shown = [
        e["value"]
        for f in report["findings"]
        if f["rule_id"] in ("CEPH-008", "CEPH-023", "ROOK-005", "ROOK-008")
        for e in f["evidence"]
        if e["value"] is not None and "VAULT_ADDR" not in (e["key"] or "")
    ]
    assert shown and set(shown) == {"****"}


def test_gateway_and_daemon_keys_may_hold_full_caps(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ceph.keyring",
        '[client.rgw.gw1]\n\tkey = AQ==\n\tcaps mon = "allow *"\n\tcaps osd = "allow rwx"\n'
        '[osd.0]\n\tkey = AQ==\n\tcaps osd = "allow *"\n'
        '[client.spark]\n\tkey = AQ==\n\tcaps osd = "allow rwx"\n',
    )
    assert where("CEPH-010", "fail", tmp_path) == [("ceph.keyring", 10)]
