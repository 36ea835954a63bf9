"""The ceph.conf and keyring source: Ceph's grammar, spellings, merging, bad input, claims."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from triplock.facts.ceph import CephConf, CephKeyring
from triplock.inventory import Inventory
from triplock.model import Location
from triplock.sources.ceph_conf import SOURCE, ceph_conf, parse_ceph_ini
from triplock.sources.interface import InputFile, NotText, SourceError


def _conf(text: str) -> tuple[CephConf, Inventory]:
    inventory = Inventory()
    items = parse_ceph_ini(text, "ceph.conf", inventory)
    return ceph_conf("ceph.conf", Location(path="ceph.conf"), items), inventory


def _value(conf: CephConf, name: str, entity: str = "global") -> tuple[str, int | None] | None:
    option = conf.lookup(name, entity)
    return None if option is None else (option.value, option.location.line)


def test_blanks_are_underscores_but_dashes_are_not() -> None:
    conf, _ = _conf(
        "[global]\nauth cluster required = cephx\nms\t client   mode = secure\n"
        "ms-cluster-mode = secure\n"
    )
    assert _value(conf, "auth_cluster_required") == ("cephx", 2)
    assert _value(conf, "ms_client_mode") == ("secure", 3)
    assert _value(conf, "ms_cluster_mode") is None  # as Ceph: the dashed name is another name
    assert _value(conf, "ms-cluster-mode") == ("secure", 4)


def test_comments_quotes_escapes_and_continuations() -> None:
    conf, inventory = _conf(
        "[global]\n"
        "a = one ; a comment\n"
        "b = two # another\n"
        'c = "three \\# escaped"  # a comment\n'
        "d = 'four'\n"
        r"e = five \# escaped" + "\n"
        "f = six \\\n  continued\n"
        "\t; an indented comment\n"
    )
    assert inventory.errors == []
    assert _value(conf, "a") == ("one", 2)
    assert _value(conf, "b") == ("two", 3)
    assert _value(conf, "c") == ("three # escaped", 4)
    assert _value(conf, "d") == ("four", 5)
    assert _value(conf, "e") == ("five # escaped", 6)
    assert _value(conf, "f") == ("six   continued", 7)


def test_repeated_sections_merge_and_the_later_line_wins() -> None:
    conf, inventory = _conf(
        "[global]\nms cluster mode = crc\nfsid = a\n[osd]\nx = 1\n"
        "[global]\nms_cluster_mode = secure\n"
    )
    assert inventory.errors == []
    assert _value(conf, "ms_cluster_mode") == ("secure", 7)
    assert _value(conf, "fsid") == ("a", 3)  # the first [global]'s other options stay
    assert conf.section_lines["global"] == 1


def test_precedence_instance_type_global() -> None:
    conf, _ = _conf("[global]\nm = g\n[client]\nm = c\n[client.rgw.gw1]\nm = i\n[osd]\nn = o\n")
    assert _value(conf, "m", "client.rgw.gw1") == ("i", 6)
    assert _value(conf, "m", "client.rgw.other") == ("c", 4)
    assert _value(conf, "m", "osd.3") == ("g", 2)
    assert _value(conf, "n", "osd.3") == ("o", 8)
    assert conf.rgw_entities() == ["client.rgw.gw1"]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[global]\nthis is not an option\n", 2, "neither a section heading"),
        ("[global\nfsid = a\n", 1, "without its closing ]"),
        ("[global] trailing\n", 1, "text after a section heading"),
        ('[global]\na = "open\n', 2, "without its closing quote"),
        ('[global]\na = "x" y\n', 2, "text after a quoted value"),
        ('[global]\na = "x # y"\n', 2, "unescaped # or ;"),
        ("  [global]\nfsid = a\n", 1, "does not start the line"),
        ("fsid = a\nmon host = b\n[global]\n", 1, "before any [section]"),
    ],
)
def test_malformed_lines_are_errors_and_the_rest_is_read(text: str, line: int, reason: str) -> None:
    conf, inventory = _conf(text + "[mon]\nauth cluster required = none\n")
    first = inventory.errors[0].reason
    assert first.startswith(f"line {line}: ")
    assert reason in first
    assert _value(conf, "auth_cluster_required", "mon") is not None


def test_a_lone_option_is_global() -> None:
    conf, inventory = _conf("auth cluster required = none\n")
    assert inventory.errors == []
    assert _value(conf, "auth_cluster_required") == ("none", 1)


def test_malformed_file_audit_goes_on(tmp_path: Path) -> None:
    write(tmp_path, "ceph.conf", "[global]\nauth cluster required = none\n[broken\n")
    result = run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "critical")
    report = result.json()
    assert result.code == 1, result.err
    assert report["errors"] == [
        {
            "path": str(tmp_path / "ceph.conf"),
            "reason": "line 3: a section heading without its closing ] (Ceph refuses this file)",
        }
    ]
    failed = [f for f in report["findings"] if f["rule_id"] == "CEPH-001" and f["status"] == "fail"]
    assert [f["location"]["line"] for f in failed] == [1, 2]


def _claims(name: str, text: str) -> bool:
    return SOURCE.claims(InputFile(name, text.encode(), "."))


@pytest.mark.parametrize(
    ("name", "text", "claimed"),
    [
        ("ceph.conf", "", True),
        ("cluster.conf", "[global]\nfsid = x\n", True),
        ("cluster.conf", "[osd]\nosd journal size = 1024\n", True),
        ("smb.conf", "[global]\nworkgroup = WORKGROUP\n", False),
        ("spark-defaults.conf", "spark.authenticate true\n", False),
        ("ceph.client.admin.keyring", "[client.admin]\nkey = AQ==\n", True),
        ("admin.conf", "[client.admin]\n\tkey = AQAAAA==\n", True),
        ("notes.txt", "[global]\nfsid = x\n", False),
    ],
)
def test_claims_by_name_and_content(name: str, text: str, claimed: bool) -> None:
    assert _claims(name, text) is claimed


def test_keyring_entities_and_caps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ceph.client.app.keyring",
        '[client.app]\n\tkey = AQBx==\n\tcaps mon = "allow r"\n\tcaps osd = "allow rw pool=a"\n',
        mode=0o600,
    )
    inventory = Inventory()
    SOURCE.parse(InputFile(str(path), path.read_bytes(), str(tmp_path)), inventory)
    (keyring,) = inventory.of(CephKeyring)
    (entity,) = keyring.entities
    assert (entity.name, entity.line, entity.key_line) == ("client.app", 1, 2)
    assert entity.caps == (("mon", "allow r", 3), ("osd", "allow rw pool=a", 4))
    assert keyring.mode == 0o600


def test_rook_config_override_keeps_manifest_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        "override.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rook-config-override\n"
        "data:\n  config: |\n    [global]\n    ms_cluster_mode = crc\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "critical")
    failed = [
        f for f in result.json()["findings"] if f["rule_id"] == "CEPH-004" and f["status"] == "fail"
    ]
    # only what the override sets is judged: Rook sets the rest from the CephCluster
    assert [(f["location"]["line"], f["location"]["object"]) for f in failed] == [
        (8, "ConfigMap/rook-config-override [global] ms_cluster_mode")
    ]


def test_unreadable_inputs_are_errors_and_other_files_are_still_audited(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "ceph.conf").write_bytes(b"[global]\nfsid = \xff\xfe\n")
    write(tmp_path, "garbage/ceph.conf", "not ini at all\nstill not\n")
    write(tmp_path, "good/ceph.conf", "[global]\nauth cluster required = none\n")
    result = run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "critical")
    assert result.code == 1, result.err
    report = result.json()
    reasons = {(Path(e["path"]).parent.name, e["reason"].split(":")[0]) for e in report["errors"]}
    assert ("bad", "ceph") in reasons  # not UTF-8
    assert ("garbage", "line 1") in reasons and ("garbage", "line 2") in reasons
    assert ("garbage", "ceph") in reasons  # nothing could be read at all
    failed = [f for f in report["findings"] if f["rule_id"] == "CEPH-001" and f["status"] == "fail"]
    assert [Path(f["location"]["path"]).parent.name for f in failed] == ["good", "good"]


def test_hostile_text_never_raises_past_the_source() -> None:
    # seeded random text built from the grammar's own characters: the source either reads it
    # or says why (SourceError, NotText); it never raises anything else
    rng = random.Random(2121)
    alphabet = [
        "[",
        "]",
        "=",
        "#",
        ";",
        '"',
        "'",
        "\\",
        "\n",
        "\r\n",
        " ",
        "\t",
        "a",
        "global",
        "client.rgw.x",
        "key",
        "caps mon",
        "ms_cluster_mode",
        "\x00",
        "\u00e9",
        "$x",
    ]
    for i in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        name = rng.choice(["ceph.conf", "x.keyring", "c.conf"])
        inventory = Inventory()
        try:
            SOURCE.parse(InputFile(name, text.encode("utf-8"), None), inventory)
        except (SourceError, NotText):
            continue
        assert all(e.reason.startswith("line ") for e in inventory.errors), (i, text)
