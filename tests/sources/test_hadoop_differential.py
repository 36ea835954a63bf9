"""Ground truth from real Hadoop: the same configuration directories loaded by
org.apache.hadoop.conf.Configuration (hadoop-client-api 3.5.0 inside pyspark, driven through
tests/fixtures/hadoop/ConfDump.java) and by triplock must agree on every key the rules read:
substituted values, system-property substitution, final flags with override attempts,
xi:include, and the core-default.xml defaults.

hdfs-default.xml and kms-default.xml are not on pyspark's classpath (they ship in the
hadoop-hdfs and hadoop-kms jars), so for their keys only set values are compared; the two HDFS
client defaults that hadoop-client-api exposes as constants are checked directly.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, need, need_command
from tests.helpers.jvm import HADOOP_JARS as JARS
from tests.helpers.jvm import HADOOP_PROGRAM as PROGRAM
from triplock.facts.hadoop import HadoopConf, current_name, deprecations
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover

pytestmark = pytest.mark.jvm

ENVIRONMENT = {"HADOOP_FUZZ_SET": "from-env", "HADOOP_FUZZ_EMPTY": ""}
FIXTURES = ROOT / "tests" / "fixtures" / "hadoop"
DEFAULTS = json.loads((ROOT / "src" / "triplock" / "data" / "hadoop-defaults.json").read_text())
SYSTEM_PROPERTIES = {
    "http.policy": "HTTPS_ONLY",
    "rpc.level": "privacy",
    "user.name": "hdfs",
    "sys.one": "S1-${k2}",
}
# Keys the rules read that have no shipped default.
RULE_KEYS = (
    "hadoop.security.key.provider.path",
    "dfs.encryption.key.provider.uri",
    "dfs.data.transfer.protection",
    "dfs.encrypt.data.transfer.algorithm",
    "dfs.encrypt.data.transfer.cipher.suites",
    "dfs.trustedchannel.resolver.class",
    "fs.s3a.encryption.algorithm",
    "fs.s3a.endpoint",
    "hadoop.security.credential.provider.path",
)
CASES = {
    "differential": FIXTURES / "differential",
    "secure": FIXTURES / "secure",
    "insecure": FIXTURES / "insecure",
    "deprecated": FIXTURES / "deprecated",
}
# Deprecated names of the "deprecated" case, asked by their old and their new names.
DEPRECATED_KEYS = (
    "fs.default.name",
    "dfs.umaskmode",
    "dfs.permissions",
    "dfs.permissions.supergroup",
    "dfs.name.dir",
    "dfs.encryption.key.provider.uri",
    "fs.permissions.umask-mode",
    "dfs.namenode.name.dir",
    "dfs.client.https.need-auth",
)
# Pieces of random values for the substitution fuzz case: variables that chain, loop, miss,
# nest or are not variables at all for Hadoop's scanner.
_PIECES = (
    "${k1}",
    "${k2}",
    "${k3}",
    "${k7}",
    "${sys.one}",
    "${missing}",
    "$",
    "{",
    "}",
    "${",
    "${ k1}",
    "$${k2}",
    "${}",
    "x",
    "/",
    " ",
    "${k${k1}}",
    "${env.HADOOP_FUZZ_SET}",
    "${env.HADOOP_FUZZ_EMPTY:-d1}",
    "${env.HADOOP_FUZZ_EMPTY-d2}",
    "${env.HADOOP_FUZZ_UNSET-${k1}}",
)
_FUZZ_FILES = 3
_FUZZ_KEYS = 8


def _fuzz_dir(root: Path, seed: int) -> Path:
    """Three layered files of random properties: values from _PIECES, random finals."""
    rng = random.Random(seed)
    names = ("core-site.xml", "hdfs-site.xml", "kms-site.xml")[:_FUZZ_FILES]
    for name in names:
        props = []
        for _ in range(_FUZZ_KEYS):
            key = f"k{rng.randrange(_FUZZ_KEYS)}"
            value = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 5)))
            final = "<final>true</final>" if rng.random() < 0.25 else ""
            props.append(f"<property><name>{key}</name><value>{value}</value>{final}</property>")
        (root / name).write_text("<configuration>\n" + "\n".join(props) + "\n</configuration>\n")
    return root


FUZZ_CASES = [f"fuzz-{seed}" for seed in range(40)]


@pytest.fixture(scope="module")
def case_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    fuzz = {
        name: _fuzz_dir(tmp_path_factory.mktemp(name), seed) for seed, name in enumerate(FUZZ_CASES)
    }
    return {**CASES, **fuzz}


def _conf(directory: Path) -> HadoopConf:
    inventory = Inventory()
    discover([str(directory)], all_sources(), inventory)
    assert not inventory.errors, inventory.errors
    confs = [c for c in inventory.of(HadoopConf) if c.name == str(directory)]
    assert len(confs) == 1
    return confs[0]


def _keys(conf: HadoopConf) -> list[str]:
    core_defaults = [k for k, v in DEFAULTS["defaults"].items() if v["file"] == "core-default.xml"]
    keys = set(core_defaults) | set(RULE_KEYS) | set(conf.names())
    keys |= {p.name for p in conf.overridden_finals}
    keys |= {"padded.name", "  padded.name  ", "fallback.used", "no.such.key"}
    keys |= {f"k{i}" for i in range(_FUZZ_KEYS)}
    keys |= {k for k in DEPRECATED_KEYS if conf.is_set(k)}  # defaults of others: not ours
    return sorted(keys)


@pytest.fixture(scope="module")
def hadoop(case_dirs: dict[str, Path]) -> dict[str, dict[str, tuple[bool, str | None]]]:
    """What Hadoop's Configuration says, per case and key: (final, value)."""
    java = need_command("java")
    need(any(JARS.glob("hadoop-client-api-*.jar")), "pyspark's hadoop-client-api jar")
    spec: list[str] = ["hdfs", "deprecations"]  # as an HDFS daemon loads them
    for name, directory in case_dirs.items():
        conf = _conf(directory)
        spec.append(f"conf {name}")
        if name == "differential" or name in FUZZ_CASES:
            spec += [f"sys {k}={v}" for k, v in SYSTEM_PROPERTIES.items()]
        spec += [f"file {Path(f).resolve()}" for f in conf.files]
        spec += [f"key {k}" for k in _keys(conf)]
        spec.append("end")
    spec += [
        "const org.apache.hadoop.hdfs.client.HdfsClientConfigKeys "
        "DFS_ENCRYPT_DATA_TRANSFER_CIPHER_KEY_BITLENGTH_DEFAULT",
        "const org.apache.hadoop.hdfs.client.HdfsClientConfigKeys "
        "DFS_DATA_TRANSFER_PROTECTION_DEFAULT",
    ]
    done = subprocess.run(
        [java, "-cp", f"{JARS}/*", str(PROGRAM)],
        env={**os.environ, **ENVIRONMENT},
        input="\n".join(spec) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, dict[str, tuple[bool, str | None]]] = {}
    for line in done.stdout.splitlines():
        case, key, final, value = line.split("\t")
        shown = None if value == "<null>" else value.replace("\\n", "\n").replace("\\\\", "\\")
        out.setdefault(case, {})[key] = (final == "true", shown)
    return out


@pytest.mark.parametrize("case", [*sorted(CASES), *FUZZ_CASES])
def test_effective_values_match_hadoop(
    case: str,
    case_dirs: dict[str, Path],
    hadoop: dict[str, dict[str, tuple[bool, str | None]]],
) -> None:
    conf = _conf(case_dirs[case])
    if case == "differential" or case in FUZZ_CASES:
        conf.system_properties.update(SYSTEM_PROPERTIES)
        conf.environment = ENVIRONMENT
    theirs = hadoop[case]
    mismatches = []
    for key in _keys(conf):
        value = conf.get(key)
        ours = (value.final if value else False, value.text if value else None)
        default = DEFAULTS["defaults"].get(current_name(key))
        if value and value.default and default["file"] != "core-default.xml":
            continue  # hdfs/kms defaults: not on this classpath (see module docstring)
        if theirs[key][1] == "<depth>":  # Hadoop throws; triplock must not guess
            if not (value and value.templated):
                mismatches.append((key, ours, theirs[key]))
        elif key in deprecations():  # Hadoop keeps finals under the current name only
            if ours[1] != theirs[key][1]:
                mismatches.append((key, ours, theirs[key]))
        elif ours != theirs[key]:
            mismatches.append((key, ours, theirs[key]))
    assert mismatches == []
    assert len(theirs) >= 20


def test_edge_cases_were_exercised(hadoop: dict[str, dict[str, tuple[bool, str | None]]]) -> None:
    """The differential fixture really covers what it claims (so a pass means something)."""
    got = hadoop["differential"]
    assert got["hadoop.security.authentication"] == (True, "kerberos")  # chain + final
    assert got["hadoop.rpc.protection"] == (False, "privacy")  # system property wins, then
    assert got["dfs.http.policy"] == (False, "HTTPS_ONLY")  # -D substitution
    assert got["hadoop.security.authorization"] == (False, "false")  # final only if "true"
    assert got["dfs.encrypt.data.transfer"] == (True, "true")  # later override ignored
    assert got["hadoop.ssl.enabled.protocols"] == (False, "TLSv1.2")  # empty value: default
    assert got["hadoop.http.authentication.type"] == (False, "kerberos")  # via xi:include
    assert got["fallback.used"] == (False, "true")
    assert got["self.reference"][1] == "a-${self.reference}"
    assert got["unresolved.first"][1] == "${no.such.key}/${cluster.realm}"
    assert got["hadoop.tmp.dir"][1] == "/data/tmp/hdfs"


def test_deprecated_names_are_read_as_hadoop_reads_them(
    hadoop: dict[str, dict[str, tuple[bool, str | None]]],
) -> None:
    """A file that sets an old name is judged by it (the whole case is compared above; these
    are the cases that make that comparison mean something)."""
    got = hadoop["deprecated"]
    assert got["dfs.permissions.enabled"] == (False, "false")
    assert got["fs.permissions.umask-mode"] == (False, "000")
    assert got["hadoop.security.key.provider.path"] == (False, "kms://http@kms:9600/kms")
    assert got["dfs.permissions.superusergroup"] == (True, "hadoop")  # final under the new name
    assert got["dfs.namenode.name.dir"] == (False, "/data/old-name")  # the later file line
    assert got["dfs.client.https.need-auth"] == (False, "false")  # ${old name} substitutes
    conf = _conf(CASES["deprecated"])
    value = conf.get("dfs.permissions.enabled")
    assert value is not None and not value.default and value.location.object == "dfs.permissions"


def test_deprecation_table_is_the_jars(
    hadoop: dict[str, dict[str, tuple[bool, str | None]]],
) -> None:
    shaded = "org.apache.hadoop.shaded."  # the shaded jar's relocation of io.bytes.per.checksum
    theirs = {
        old.removeprefix(shaded): tuple((new or "").split(","))
        for old, (_, new) in hadoop["deprecation"].items()
    }
    assert theirs == deprecations()
    assert len(theirs) >= 40


def test_shipped_defaults_match_the_jar(
    hadoop: dict[str, dict[str, tuple[bool, str | None]]],
) -> None:
    """Every core-default.xml value in data/hadoop-defaults.json is what the jar ships."""
    insecure = hadoop["insecure"]
    conf = _conf(CASES["insecure"])
    checked = 0
    for key, entry in DEFAULTS["defaults"].items():
        if entry["file"] == "core-default.xml" and not conf.is_set(key):
            assert insecure[key][1] == entry["value"], key
            checked += 1
    assert checked >= 8
    constants = hadoop["const"]
    bits = DEFAULTS["defaults"]["dfs.encrypt.data.transfer.cipher.key.bitlength"]["value"]
    assert constants["DFS_ENCRYPT_DATA_TRANSFER_CIPHER_KEY_BITLENGTH_DEFAULT"][1] == bits
    assert constants["DFS_DATA_TRANSFER_PROTECTION_DEFAULT"][1] == ""


def test_fuzz_cases_exercise_substitution(
    hadoop: dict[str, dict[str, tuple[bool, str | None]]],
) -> None:
    """The random cases produce resolved chains, unresolved variables and finals alike."""
    values = [v for case in FUZZ_CASES for v in hadoop[case].values()]
    texts = [text for _, text in values if text is not None]
    assert any(final for final, _ in values)
    assert any("S1-" in t for t in texts)  # a system property that itself substitutes
    assert any("${missing}" in t for t in texts)
    assert sum(bool("$" not in t and "{" not in t and t.strip()) for t in texts) >= 20
    assert any("from-env" in t for t in texts) and any("d1" in t for t in texts)
