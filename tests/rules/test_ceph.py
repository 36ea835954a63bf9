"""Ceph cluster rules on ceph.conf: a failing and a passing case per rule, at the lines
written in tests/fixtures/ceph/{insecure,hardened}/ceph.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write
from tests.helpers.ceph_audit import HARDENED, INSECURE, found, lines, where

INSECURE_CONF = INSECURE / "ceph.conf"
HARDENED_CONF = HARDENED / "ceph.conf"


@pytest.mark.parametrize(
    ("rule_id", "failing", "passing"),
    [
        ("CEPH-001", [6, 7, 8], [6, 7, 8]),
        ("CEPH-002", [9], [3]),  # hardened: the default (true) applies, at [global]
        ("CEPH-003", [3, 3], [16]),  # insecure: both defaults (false); hardened: v1 is off
        ("CEPH-004", [3, 3, 3, 10, 11, 12], [10, 11, 12, 13, 14, 15]),
        ("CEPH-005", [3, 21], [16, 17]),  # insecure: [global] default and [osd]
        ("CEPH-006", [13], [3]),
        ("CEPH-007", [14], [18]),
    ],
)
def test_rule_fails_and_passes_at_its_lines(
    rule_id: str, failing: list[int], passing: list[int]
) -> None:
    assert lines(rule_id, "fail", INSECURE_CONF) == failing
    assert lines(rule_id, "pass", HARDENED_CONF) == passing
    assert lines(rule_id, "fail", HARDENED_CONF) == []


def test_client_default_allows_none(tmp_path: Path) -> None:
    # auth_client_required defaults to "cephx, none": unset is a failure, unlike the others
    write(
        tmp_path, "ceph.conf", "[global]\nfsid = x\nmon host = m\nauth cluster required = cephx\n"
    )
    assert lines("CEPH-001", "fail", tmp_path) == [1]
    assert lines("CEPH-001", "pass", tmp_path) == [1, 4]


def test_section_precedence(tmp_path: Path) -> None:
    # [osd] overrides [global] for OSDs: both places are judged where written
    write(
        tmp_path,
        "ceph.conf",
        "[global]\nms cluster mode = secure\nms_bind_msgr1 = false\n[osd]\nms_cluster_mode = crc\n",
    )
    assert lines("CEPH-004", "fail", tmp_path)[-1] == 5
    assert 2 in lines("CEPH-004", "pass", tmp_path)


def test_every_daemon_type_setting_it_replaces_the_default(tmp_path: Path) -> None:
    sections = "".join(f"[{t}]\nms bind msgr1 = false\n" for t in ("mon", "mgr", "osd", "mds"))
    write(tmp_path, "ceph.conf", "[global]\nfsid = x\n" + sections)
    assert lines("CEPH-005", "fail", tmp_path) == []


def test_signatures_required_by_the_umbrella_option(tmp_path: Path) -> None:
    write(tmp_path, "ceph.conf", "[global]\nfsid = x\ncephx_require_signatures = true\n")
    assert lines("CEPH-003", "pass", tmp_path) == [1, 1]


def test_bootstrap_conf_leaves_options_to_the_config_database(tmp_path: Path) -> None:
    # A minimal conf (ceph config generate-minimal-conf): unset options are unknown, not failures
    write(tmp_path, "ceph.conf", "[global]\n\tfsid = x\n\tmon_host = [v2:10.0.0.1:3300]\n")
    assert lines("CEPH-004", "fail", tmp_path) == []
    assert len(lines("CEPH-004", "unknown", tmp_path)) == 6


def test_templated_value_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "ceph.conf", "[global]\nfsid = x\nms cluster mode = $MODE\n")
    assert 3 in lines("CEPH-004", "unknown", tmp_path)


def test_misspelt_option_is_unknown_with_a_hint() -> None:
    # a misspelling, and a dashed name (Ceph reads no dashes in ceph.conf)
    assert where("CEPH-011", "unknown", INSECURE_CONF) == [("ceph.conf", 17), ("ceph.conf", 18)]
    assert lines("CEPH-011", "unknown", HARDENED_CONF) == []


def test_literal_key_in_conf() -> None:
    assert lines("CEPH-008", "fail", INSECURE_CONF) == [15]
    assert lines("CEPH-008", "pass", HARDENED_CONF) == [None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("false", "fail"), ("0", "fail"), ("TRUE", "pass"), ("2", "pass"), ("no", "unknown")],
)
def test_cephx_sign_messages_is_read_as_ceph_reads_a_boolean(
    tmp_path: Path, value: str, expected: str
) -> None:
    write(tmp_path, "ceph.conf", f"[global]\nfsid = x\ncephx_sign_messages = {value}\n")
    assert {f["status"] for f in found("CEPH-002", expected, tmp_path)} == {expected}
    others = {"fail", "pass", "unknown"} - {expected}
    assert not any(found("CEPH-002", status, tmp_path) for status in others)
