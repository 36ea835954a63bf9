"""The Hadoop XML source: provenance, final flags, includes, hardened parsing, /conf dumps,
spark.hadoop.* overlays and Configuration's substitution rules."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from tests.helpers import need, write
from tests.rules.test_hadoop import xml
from triplock.facts.hadoop import HadoopConf, HadoopProperty, HadoopScope, Role
from triplock.inventory import Inventory
from triplock.model import InputError, Location
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.sources.hadoop_xml import SOURCE
from triplock.sources.interface import InputFile

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<configuration><property><name>a</name><value>&lol9;</value></property></configuration>
"""


def _xxe(target: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE configuration [ <!ENTITY xxe SYSTEM "file://{target}"> ]>
<configuration><property><name>a</name><value>&xxe;</value></property></configuration>
"""


def load(*paths: Path) -> Inventory:
    inventory = Inventory()
    discover([str(p) for p in paths], all_sources(), inventory)
    return inventory


def conf_of(inventory: Inventory) -> HadoopConf:
    confs = inventory.of(HadoopConf)
    assert len(confs) == 1, [c.name for c in confs]
    return confs[0]


def error_for(inventory: Inventory, path: Path) -> InputError:
    errors = [e for e in inventory.errors if e.path == str(path)]
    assert len(errors) == 1, inventory.errors
    return errors[0]


def test_properties_keep_file_line_and_final(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        '<?xml version="1.0"?>\n<configuration>\n'
        "  <property>\n    <name> hadoop.rpc.protection </name>\n"
        "    <value>privacy</value>\n    <final>true</final>\n  </property>\n"
        '  <property name="fs.defaultFS" value="hdfs://nn:8020"/>\n'
        "  <property><name>empty.value</name><value></value></property>\n"
        "</configuration>\n",
    )
    conf = conf_of(load(tmp_path))
    prop = conf.properties["hadoop.rpc.protection"]
    assert prop.location == Location(
        str(tmp_path / "core-site.xml"), 5, None, "hadoop.rpc.protection"
    )
    assert prop.final and prop.value == "privacy"
    assert conf.text("fs.defaultFS") == "hdfs://nn:8020"
    assert conf.properties["fs.defaultFS"].location.line == 8
    assert not conf.is_set("empty.value")  # Hadoop ignores an empty <value>
    assert conf.roles == {Role.CORE} and conf.scope is HadoopScope.DIRECTORY


def test_directory_layers_files_in_hadoop_order(tmp_path: Path) -> None:
    write(tmp_path, "hdfs-site.xml", xml(("x", "hdfs")))
    write(tmp_path, "core-site.xml", xml(("x", "core"), ("y", "core")))
    write(tmp_path, "yarn-site.xml", xml(("y", "yarn")))
    conf = conf_of(load(tmp_path))
    assert conf.text("x") == "hdfs" and conf.text("y") == "yarn"
    assert [Path(f).name for f in conf.files] == ["core-site.xml", "hdfs-site.xml", "yarn-site.xml"]


def test_final_override_attempt_is_recorded(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("k", "first"), final=("k",)))
    write(tmp_path, "hdfs-site.xml", xml(("k", "second")))
    conf = conf_of(load(tmp_path))
    assert conf.text("k") == "first"
    assert [p.value for p in conf.overridden_finals] == ["second"]


def test_include_inside_the_tree_is_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "conf/core-site.xml",
        '<configuration xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        '  <xi:include href="security.xml"/>\n'
        '  <xi:include href="missing.xml"><xi:fallback>'
        "<property><name>fb</name><value>yes</value></property></xi:fallback></xi:include>\n"
        "</configuration>\n",
    )
    write(tmp_path, "conf/security.xml", xml(("hadoop.security.authentication", "kerberos")))
    inventory = load(tmp_path)
    conf = conf_of(inventory)
    assert conf.text("hadoop.security.authentication") == "kerberos"
    assert conf.where("hadoop.security.authentication").path == str(
        tmp_path / "conf" / "security.xml"
    )
    assert conf.text("fb") == "yes"
    assert not inventory.errors


def test_include_outside_the_tree_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.fifo"
    os.mkfifo(outside)  # opening it for reading would block: proof that nothing reads it
    write(
        tmp_path,
        "conf/core-site.xml",
        '<configuration xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        f'  <xi:include href="{outside}"/>\n'
        '  <xi:include href="../outside.fifo"/>\n'
        '  <xi:include href="http://127.0.0.1:1/conf.xml"/>\n'
        "</configuration>\n",
    )
    inventory = _bounded(lambda: load(tmp_path / "conf"))
    reasons = [e.reason for e in inventory.errors]
    assert len(reasons) == 3 and all("not followed" in r for r in reasons), reasons


def _bounded(work: object) -> Inventory:
    out: list[Inventory] = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)  # type: ignore[operator]
    thread.start()
    thread.join(timeout=20)
    assert out, "the source blocked: it tried to read a file it must not read"
    return out[0]


def test_billion_laughs_gives_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "core-site.xml", BILLION_LAUGHS)
    write(tmp_path, "hdfs-site.xml", xml(("dfs.replication", "3")))
    inventory = _bounded(lambda: load(tmp_path))
    assert "DOCTYPE" in error_for(inventory, path).reason
    assert conf_of(inventory).text("dfs.replication") == "3"  # the rest goes on


def test_xxe_gives_an_error_and_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.fifo"
    os.mkfifo(secret)
    path = write(tmp_path, "conf/core-site.xml", _xxe(secret))
    inventory = _bounded(lambda: load(tmp_path / "conf"))
    assert (
        "DTD" in error_for(inventory, path).reason or "DOCTYPE" in error_for(inventory, path).reason
    )


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "hdfs-site.xml", "<configuration>\n<property>\n</configuration>\n")
    assert "line 3" in error_for(load(tmp_path), path).reason


def test_other_root_element_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "core-site.xml", "<project><property/></project>\n")
    assert "<project>" in error_for(load(tmp_path), path).reason


def test_unrelated_xml_is_not_claimed() -> None:
    pom = InputFile("pom.xml", b"<project><modelVersion>4.0.0</modelVersion></project>")
    assert not SOURCE.claims(pom)
    dump = InputFile("nn-conf.xml", b"<?xml version='1.0'?><configuration><property>")
    assert SOURCE.claims(dump)


def test_include_loop_is_an_error(tmp_path: Path) -> None:
    loop = (
        '<configuration xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{}"/>'
        "</configuration>"
    )
    path = write(tmp_path, "core-site.xml", loop.format("other.xml"))
    write(tmp_path, "other.xml", loop.format("core-site.xml"))
    assert "loop" in error_for(load(path), path).reason


def test_served_conf_dump_is_its_own_configuration(tmp_path: Path) -> None:
    write(
        tmp_path,
        "namenode-conf.xml",
        "<?xml version='1.0' encoding='UTF-8'?><configuration>\n"
        "<property><name>hadoop.security.authentication</name><value>simple</value>"
        "<final>false</final><source>core-default.xml</source></property>\n"
        "<property><name>dfs.http.policy</name><value>HTTPS_ONLY</value>"
        "<final>false</final><source>hdfs-site.xml</source></property>\n"
        "</configuration>\n",
    )
    conf = conf_of(load(tmp_path))
    assert conf.scope is HadoopScope.SERVED and conf.has(Role.HDFS)
    assert conf.text("dfs.http.policy") == "HTTPS_ONLY"
    rpc = conf.get("hadoop.rpc.protection")  # absent from the dump: the shipped default
    assert rpc is not None and rpc.default and rpc.text == "authentication"


def test_spark_hadoop_settings_form_a_conf(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.hadoop.fs.s3a.endpoint https://s3.example.com\nspark.hadoop. ignored\n",
    )
    confs = [c for c in load(tmp_path).of(HadoopConf) if c.scope is HadoopScope.SPARK]
    assert len(confs) == 1
    assert confs[0].names() == ["fs.s3a.endpoint"]
    assert confs[0].where("fs.s3a.endpoint").line == 1


def _conf(**props: str) -> HadoopConf:
    conf = HadoopConf("t", Location(path="t"), HadoopScope.SPARK)
    for k, v in props.items():
        conf.add(HadoopProperty(k.replace("_", "."), v, Location(path="t")))
    return conf


def test_substitution_follows_configuration() -> None:
    conf = _conf(a="${b}-${b}", b="${c}", c="x", self="<${self}>", gap="${ c}", dollar="$${c}")
    assert conf.get("a") is not None and conf.text("a") == "x-x"
    loop = conf.get("self")
    assert loop is not None and loop.templated and loop.text == "<${self}>"
    assert conf.text("gap") == "${ c}"  # not a variable for Hadoop
    assert conf.text("dollar") == "$x"
    conf.system_properties["c"] = "sys"
    assert conf.text("a") == "sys-sys"  # system properties come first


def test_unresolved_variable_stops_substitution() -> None:
    conf = _conf(a="${nope}/${b}", b="x", env="${env.HOME}")
    a = conf.get("a")
    assert a is not None and a.templated and a.text == "${nope}/${b}"
    env = conf.get("env")
    assert env is not None and env.templated


def _include_of(tmp_path: Path, name: str) -> None:
    write(
        tmp_path,
        "conf/core-site.xml",
        '<configuration xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        f'  <xi:include href="{name}"/>\n'
        "  <property><name>hadoop.security.authentication</name><value>kerberos</value>"
        "</property>\n</configuration>\n",
    )


def test_include_of_a_fifo_in_the_tree_is_refused_without_blocking(tmp_path: Path) -> None:
    _include_of(tmp_path, "nobody-writes.fifo")
    os.mkfifo(tmp_path / "conf" / "nobody-writes.fifo")
    inventory = _bounded(lambda: load(tmp_path / "conf"))
    assert [e.reason for e in inventory.errors] == [
        "line 2: xi:include of 'nobody-writes.fifo': a FIFO, not a regular file; not read, "
        "and no fallback; not followed"
    ]
    (conf,) = inventory.of(HadoopConf)
    assert conf.text("hadoop.security.authentication") == "kerberos", "the rest is read"


def test_include_of_a_character_device_in_the_tree_is_refused(tmp_path: Path) -> None:
    _include_of(tmp_path, "zero")
    device = tmp_path / "conf" / "zero"
    try:  # the device /dev/zero is (1, 5): reading it never ends
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        need(False, "mknod (root), to put a character device in the audited tree")
    inventory = _bounded(lambda: load(tmp_path / "conf"))
    assert [e.reason for e in inventory.errors] == [
        "line 2: xi:include of 'zero': a character device, not a regular file; not read, "
        "and no fallback; not followed"
    ]


def test_include_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    _include_of(tmp_path, "big.xml")
    with open(tmp_path / "conf" / "big.xml", "wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    inventory = load(tmp_path / "conf")
    reasons = [e.reason for e in inventory.errors if e.path.endswith("core-site.xml")]
    assert reasons == [
        "line 2: xi:include of 'big.xml': too large (11,534,336 bytes; limit 10,485,760), "
        "and no fallback; not followed"
    ]
