"""The ceph.conf source against Ceph itself: `ceph-conf` (ceph-common, Debian 12: Ceph 16.2)
parses the same files with Ceph's own ConfFile and md_config_t, and `ceph-authtool` lists the
keyrings.

For every file of a corpus — the committed fixtures, hand-written tricky cases and seeded random
files mixing spellings, blanks, comments, quotes, escapes, continuations, repeated sections and
malformed lines — both must agree on whether the file parses, on its sections, and on the value
each daemon reads for each option (section precedence included). The defaults the rules assume
are checked against Ceph's option table."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, need_command
from triplock.facts.ceph import DEFAULTS, CephConf, CephKeyring
from triplock.inventory import Inventory
from triplock.model import Location
from triplock.sources.ceph_conf import SOURCE, ceph_conf, parse_ceph_ini
from triplock.sources.interface import InputFile

ENTITIES = ("osd.1", "mon.a", "client.rgw.gw1", "client.admin")
# Real string options, so that md_config_t keeps what the file says.
OPTIONS = (
    "ms_cluster_mode",
    "ms_client_mode",
    "auth_cluster_required",
    "auth_client_required",
    "rgw_frontends",
    "rgw_dns_name",
    "rgw_crypt_vault_addr",
)
SECTIONS = ("global", "mon", "osd", "osd.1", "client", "client.rgw.gw1", "client.admin")
# Options of Reef/Squid that Ceph 16.2 (the ceph-conf here) does not have yet.
NEWER_THAN_PACIFIC = {"ms_compress_secure", "rgw_crypt_sse_s3_vault_verify_ssl"}

TRICKY = [
    "[global]\nms cluster mode = secure\n",
    "[global]\nms\t  cluster mode = secure ; trailing\n",
    "[global]\nms-cluster-mode = secure\n",
    "  [global]\nms_cluster_mode = secure\n",
    "[ global ]\nms_cluster_mode = secure\n",
    '[global]\nrgw_frontends = "beast port=80 ssl_port=443"  # quoted\n',
    "[global]\nrgw_frontends = 'beast \\# port=80'\n",
    '[global]\nrgw_frontends = "beast # port=80"\n',
    "[global]\nrgw_frontends = beast \\\n  port=80\n",
    "[global]\nkeyring = /a\\;b\n",
    "[global]\nms_cluster_mode = crc\n[global]\nms_cluster_mode = secure\n",
    "[global]\nms_cluster_mode = secure\n[osd]\nms_cluster_mode = crc\n",
    "[client]\nrgw_frontends = beast port=1\n[client.rgw.gw1]\nrgw_frontends = beast port=2\n",
    "ms_cluster_mode = secure\n",
    "ms_cluster_mode = secure\nms_client_mode = secure\n",
    "[global]\nms_cluster_mode\n",
    "[global]\n= secure\n",
    "[global\nms_cluster_mode = secure\n",
    '[global]\nms_cluster_mode = "secure\n',
    "[global] ; a comment\nms_cluster_mode = secure\n",
    "[global]\nms_cluster_mode =\n",
    "# only a comment\n",
    "[global]\r\nms_cluster_mode = secure\r\n",
]


def _random_conf(rng: random.Random) -> str:
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        lines.append(f"[{rng.choice(SECTIONS)}]" + rng.choice(["", " ", " # c", " ;c"]))
        for _ in range(rng.randint(0, 4)):
            words = rng.choice(OPTIONS).split("_")
            name = "".join(w + rng.choice(["_", " ", "\t", "  "]) for w in words[:-1]) + words[-1]
            value = rng.choice(["secure", "crc secure", "cephx", "beast port=80", "/etc/k"])
            form = rng.random()
            if form < 0.2:
                value = f'"{value}"'
            elif form < 0.3:
                value = f"'{value}'"
            elif form < 0.4:
                value = value.replace(" ", " \\\n    ", 1)
            elif form < 0.5:
                value = value + rng.choice([" # note", " ; note", "\\#x"])
            equals = rng.choice(["=", " = ", " =\t"])
            lines.append(rng.choice(["", " ", "\t"]) + name + equals + value)
        if rng.random() < 0.08:
            lines.append(rng.choice(["no equals sign", '  bad = "open', " [late]", "[x] y"]))
        if rng.random() < 0.3:
            lines.append(rng.choice(["", "# comment", "; comment", "   "]))
    return "\n".join(lines) + "\n"


def _corpus() -> list[tuple[str, str]]:
    fixtures = sorted((ROOT / "tests" / "fixtures" / "ceph").rglob("ceph.conf"))
    found = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in fixtures]
    found += [(f"tricky-{i}", text) for i, text in enumerate(TRICKY)]
    rng = random.Random(21)
    found += [(f"random-{i}", _random_conf(rng)) for i in range(40)]
    return found


def _ceph(binary: str, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "-c", str(path), *args], capture_output=True, text=True, timeout=60, check=False
    )


def _ours(text: str) -> tuple[CephConf, Inventory]:
    inventory = Inventory()
    items = parse_ceph_ini(text, "ceph.conf", inventory)
    return ceph_conf("ceph.conf", Location(path="ceph.conf"), items), inventory


@pytest.mark.parametrize(("name", "text"), _corpus(), ids=lambda v: v if "\n" not in v else "")
def test_same_answer_as_ceph(name: str, text: str, tmp_path: Path) -> None:
    binary = need_command("ceph-conf")
    path = tmp_path / "ceph.conf"
    path.write_text(text, encoding="utf-8")
    conf, inventory = _ours(text)
    sections = _ceph(binary, path, "-L")
    ceph_refuses = sections.returncode != 0
    assert bool(inventory.errors) is ceph_refuses, (sections.stderr, inventory.errors)
    if ceph_refuses:
        assert "parse error" in sections.stderr
        return
    assert set(sections.stdout.splitlines()) == set(conf.sections)
    for entity in ENTITIES:
        dumped = _ceph(binary, path, "--name", entity, "-D", "--format", "json")
        assert dumped.returncode == 0, dumped.stderr
        effective = json.loads(dumped.stdout)
        for option in OPTIONS:
            ours = conf.lookup(option, entity)
            if ours is not None:
                assert effective[option] == ours.value, (entity, option)
            else:
                assert effective[option] == _default(binary, option), (entity, option)


def _default(binary: str, option: str) -> str:
    return str(_defaults(binary)[option])


_DEFAULTS_CACHE: dict[str, dict[str, object]] = {}


def _defaults(binary: str) -> dict[str, object]:
    """Ceph's option table as an OSD sees it with an empty configuration file."""
    if binary not in _DEFAULTS_CACHE:
        dumped = subprocess.run(
            [binary, "-c", "/dev/null", "--name", "osd.1", "-D", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        _DEFAULTS_CACHE[binary] = json.loads(dumped.stdout)
    return _DEFAULTS_CACHE[binary]


def test_the_rules_defaults_are_cephs() -> None:
    binary = need_command("ceph-conf")
    table = _defaults(binary)
    checked = {name for name in DEFAULTS if name not in NEWER_THAN_PACIFIC}
    assert len(checked) >= 18
    for name in sorted(checked):
        assert str(table[name]) == DEFAULTS[name], name


KEYRINGS = sorted((ROOT / "tests" / "fixtures" / "ceph").rglob("*.keyring"))


@pytest.mark.parametrize("path", KEYRINGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_keyrings_read_as_ceph_authtool_lists_them(path: Path) -> None:
    binary = need_command("ceph-authtool")
    listed = subprocess.run(
        [binary, "-l", str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    theirs: set[tuple[str, str, str]] = set()
    entity = ""
    for line in listed.stdout.splitlines():
        if line.startswith("["):
            entity = line.strip("[]")
        elif line.strip().startswith("caps "):
            daemon, _, grant = line.strip()[len("caps ") :].partition(" = ")
            theirs.add((entity, daemon, grant.strip('"')))
    inventory = Inventory()
    SOURCE.parse(InputFile(str(path), path.read_bytes(), str(path.parent)), inventory)
    (keyring,) = inventory.of(CephKeyring)
    ours = {(e.name, daemon, grant) for e in keyring.entities for daemon, grant, _ in e.caps}
    assert ours == theirs
    assert {e.name for e in keyring.entities if e.key_line} == {t[0] for t in theirs}
