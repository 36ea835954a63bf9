"""Every parser and pattern is linear in its input (issue 12, item 4).

Per parser: a growth property (the input doubled twice; steps counted, not timed, see
tests/growth.py) and the issue's repro at its original size, which must finish (the timeout
is a hang guard, not a speed assertion: the old code took from half a minute to forever).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from tests.growth import assert_linear
from tests.helpers import ROOT, run_cli, write
from triplock.facts.build import SparkVersionPin
from triplock.facts.ceph import RookCsiKms
from triplock.facts.certs import CertInfo, order_chain
from triplock.facts.tee import HostTee
from triplock.inventory import Inventory, is_templated
from triplock.probe.host import probe_host
from triplock.sources import all_sources, certs, enclave, kube_objects, kube_yaml, probe_json, shell
from triplock.sources.discovery import discover
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.shell import read_script
from triplock.sources.toml_lines import load
from triplock.waivers import glob_match, scan_inline


def claims(source: object, name: str, text: str) -> bool:
    return source.claims(InputFile(name, text.encode()))  # type: ignore[attr-defined, no-any-return]


def parse(source: object, name: str, text: str) -> Inventory:
    inventory = Inventory()
    source.parse(InputFile(name, text.encode()), inventory)  # type: ignore[attr-defined]
    return inventory


def audit_errors(tmp_path: Path, name: str, text: str) -> list[dict[str, str]]:
    write(tmp_path, name, text)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.out, result.err
    errors: list[dict[str, str]] = json.loads(result.out)["errors"]
    return errors


# ---- Kubernetes pod templates: `spec:` then blank lines -------------------------------------


def test_pod_template_detection_is_linear() -> None:
    assert_linear(lambda n: claims(kube_yaml.SOURCE, "t.yaml", "spec:\n" + "\n" * n), 500)
    assert claims(kube_yaml.SOURCE, "t.yaml", "spec:\n\n  containers:\n  - name: c\n")
    assert not claims(kube_yaml.SOURCE, "t.yaml", "containers:\nspec:\n")


@pytest.mark.timeout(60)
def test_pod_template_repro_finishes(tmp_path: Path) -> None:
    """10,000 blank lines after `spec:` took 258 s."""
    assert not claims(kube_yaml.SOURCE, "t.yaml", "spec:\n" + "\n" * 10_000)
    text = "spec:\n" + " \n" * 100_000 + "  containers:\n  - name: c\n    image: x\n"
    assert claims(kube_yaml.SOURCE, "t.yaml", text)


# ---- PEM: BEGIN lines without END, and bundles --------------------------------------------


def test_pem_scan_is_linear() -> None:
    assert_linear(lambda n: parse(certs.SOURCE, "a.pem", "-----BEGIN CERTIFICATE-----\n" * n), 200)


@pytest.mark.timeout(60)
def test_pem_repro_finishes(tmp_path: Path) -> None:
    """20,000 BEGIN lines (560 KB) took 44 s."""
    inventory = parse(certs.SOURCE, "a.pem", "-----BEGIN CERTIFICATE-----\n" * 20_000)
    assert inventory.kinds() == []


def test_pem_blocks_pair_each_begin_with_its_own_end() -> None:
    text = (
        "-----BEGIN A-----\n-----BEGIN B-----\nx\n-----END A----------END B-----\n"
        "-----BEGIN B-----\ny\n-----END B-----"
    )
    got = [(b.label, b.body) for b in certs._pem_blocks(text)]
    assert got == [("A", "-----BEGIN B-----\nx\n"), ("B", "y\n")]


def _cert(subject: str, issuer: str, serial: int) -> CertInfo:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return CertInfo(
        subject, issuer, serial, when, when, "EC", 256, "secp256r1", "sha256", (), True, None,
        (), (), subject == issuer, f"fp{serial}", f"k{subject}", f"k{issuer}",
    )  # fmt: skip


def _chain_reversed(n: int) -> list[CertInfo]:
    """A bundle root first: a leaf issued by CA n-1, ... by the root (the worst order)."""
    names = [f"CN=ca{i}" for i in range(n)]
    certs_ = [_cert(names[0], names[0], 0)]
    certs_ += [_cert(names[i], names[i - 1], i) for i in range(1, n)]
    return certs_


def test_bundle_ordering_is_linear() -> None:
    assert_linear(lambda n: order_chain(_chain_reversed(n)), 100)
    ordered = order_chain(_chain_reversed(50))
    assert [c.serial for c in ordered] == list(range(49, -1, -1))


def test_bundle_ordering_keeps_unlinked_certificates_in_input_order() -> None:
    leaf, ca, stray = (
        _cert("CN=a", "CN=ca", 1),
        _cert("CN=ca", "CN=ca", 2),
        _cert("CN=x", "CN=y", 3),
    )
    other = dataclasses.replace(ca, serial=4, fingerprint_sha256="fp4")
    assert [c.serial for c in order_chain([ca, leaf, other, stray])] == [1, 2, 4, 3]


# ---- probe JSON with many hosts ------------------------------------------------------------


def _probe_report(n: int) -> str:
    host = probe_host(str(ROOT / "tests" / "fixtures" / "tee" / "hosts" / "sgx")).to_dict()
    hosts = [{**host, "hostname": f"node-{i}"} for i in range(n)]
    return json.dumps({"kind": "triplock-probe", "version": 1, "hosts": hosts}, indent=2)


def test_probe_hosts_are_linear() -> None:
    reports = {n: _probe_report(n) for n in (50, 100, 200)}
    assert_linear(lambda n: parse(probe_json.SOURCE, "p.json", reports[n]), 50)


@pytest.mark.timeout(60)
def test_probe_repro_finishes() -> None:
    """A probe JSON with 20,000 hosts took 36 s; every host still points at its own line."""
    text = _probe_report(20_000)
    hosts = parse(probe_json.SOURCE, "p.json", text).of(HostTee)
    assert len(hosts) == 20_000
    lines = text.splitlines()
    last = hosts[-1].location.line
    assert last is not None and '"node-19999"' in lines[last - 1]


# ---- shell: nested substitutions -----------------------------------------------------------


def _nested(depth: int) -> str:
    return "echo " + "$(curl -k x " * depth + ")" * depth + "\n"


def test_nested_substitutions_are_read_once() -> None:
    """Re-lexing each level's body was quadratic in the depth."""
    assert_linear(lambda n: read_script(_nested(n), "run.sh"), 8)
    commands, _ = read_script(_nested(32), "run.sh")
    assert sum(c.program == "curl" for c in commands) == 32


def test_many_substitutions_are_linear() -> None:
    assert_linear(lambda n: read_script("x=$(a $(b) `c`) y\n" * n, "run.sh"), 200)


def test_nesting_beyond_the_cap_is_an_input_error() -> None:
    with pytest.raises(SourceError, match="nested deeper than 32 levels"):
        read_script(_nested(33), "run.sh")
    with pytest.raises(SourceError, match="nested deeper"):
        read_script("a=(" * 40, "run.sh")


@pytest.mark.timeout(60)
def test_nested_substitution_repro_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """`$(` a million deep ran past 60 s."""
    errors = audit_errors(tmp_path, "deep.sh", "#!/bin/sh\necho " + "$(" * 1_000_000 + "\n")
    assert [e["path"] for e in errors] == [str(tmp_path / "deep.sh")]
    assert "nested deeper than 32 levels" in errors[0]["reason"]


def test_broken_substitution_body_keeps_the_script() -> None:
    """A body the lexer rejects (an unmatched backquote) runs nothing; the script is read."""
    commands, _ = read_script("x=$(echo `) ; curl -k y\n", "run.sh")
    assert [c.program for c in commands] == ["curl"]


def test_flag_clusters_without_backtracking() -> None:
    """`-[a-zA-Z]*x[a-zA-Z]*` backtracked quadratically over a long cluster."""
    flags = "x" * 50_000
    commands, _ = read_script(f"set -{flags}\nls\nset +{flags}\nls\nset -{flags}1\nls\n", "r")
    assert [c.xtrace for c in commands if c.program == "ls"] == [True, False, False]


# ---- waivers -------------------------------------------------------------------------------


def test_glob_is_linear_in_the_name() -> None:
    assert_linear(lambda n: glob_match("**a**a**a**c", "a" * n), 100)


@pytest.mark.timeout(60)
def test_glob_repro_finishes() -> None:
    """`**a**a...c` against a 40-character name ran past 60 s."""
    assert not glob_match("**a" * 20 + "c", "a" * 40)
    assert not glob_match("*a" * 20 + "c", "a" * 40)
    assert glob_match("**a" * 20 + "c", "a" * 40 + "c")


def test_stacked_inline_waivers_are_linear() -> None:
    line = '# triplock: ignore SPARK-001 reason="lab"\n'
    assert_linear(lambda n: scan_inline(line * n + "spark.x=1\n"), 50)
    found, _ = scan_inline(line * 3 + "spark.x=1\n")
    assert [w.applies_to for w in found] == [(1, 4), (2, 4), (3, 4)]


# ---- values, embedded files, manifests -----------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "value", ["${" * 200_000, "{{" * 200_000, "$" + "{" * 400_000, "{{" + "}" * 400_000]
)
def test_templated_check_does_not_rescan(value: str) -> None:
    assert is_templated(value) is value.startswith("{{}")


@pytest.mark.timeout(60)
def test_embedded_xml_property_with_long_blanks() -> None:
    """An unclosed <name> before 20,000 blanks: `\\s*([^<]*?)\\s*</name>` never finished."""
    text = "<configuration><name>" + " " * 20_000 + "x\n<property><name> k </name><value>v"
    entries = list(kube_objects.embedded_entries("core-site.xml", text + "</value>", 10))
    assert [(e.key, e.value, e.line) for e in entries] == [("k", "v", 12)]
    many = "<property><name>k</name><value>v</value></property>\n" * 30_000
    assert list(kube_objects.embedded_entries("hdfs-site.xml", many, 1))[-1].line == 30_001


@pytest.mark.timeout(60)
def test_line_start_patterns_do_not_run_across_blank_lines() -> None:
    blank = "\n" * 200_000
    assert not claims(shell.SOURCE, "cmdline", blank + "x")
    assert claims(shell.SOURCE, "cmdline", blank + "  /opt/spark/bin/spark-submit x")
    assert not claims(enclave.SOURCE, "app.manifest", blank + "x")
    assert claims(enclave.SOURCE, "app.manifest", blank + '  loader.entrypoint = "x"')


@pytest.mark.timeout(60)
def test_legacy_manifest_value_with_long_inner_blanks() -> None:
    text = "loader.exec = file:/a" + " " * 200_000 + "b   \n"
    manifest = parse(enclave.SOURCE, "app.manifest", text).of(enclave.EnclaveManifest)[0]
    assert manifest.settings["loader.exec"].value == "file:/a" + " " * 200_000 + "b"


def test_gramine_entry_lines_are_linear() -> None:
    def manifest(n: int) -> str:
        files = "".join(f'  "file:/lib/f{i}",\n' for i in range(n))
        return f'loader.entrypoint = "x"\nsgx.trusted_files = [\n{files}]\n'

    texts = {n: manifest(n) for n in (100, 200, 400)}
    assert_linear(lambda n: parse(enclave.SOURCE, "a.manifest", texts[n]), 100)
    got = parse(enclave.SOURCE, "a.manifest", texts[100]).of(enclave.EnclaveManifest)[0]
    assert [f.location.line for f in got.trusted_files][-2:] == [101, 102]


def test_occlum_env_lines_are_linear() -> None:
    def occlum(n: int) -> str:
        env = {"default": [f"V{i}=x" for i in range(n)], "untrusted": [f"U{i}" for i in range(n)]}
        return json.dumps({"resource_limits": {"user_space_size": "1MB"}, "env": env}, indent=1)

    texts = {n: occlum(n) for n in (50, 100, 200)}
    assert_linear(lambda n: parse(enclave.SOURCE, "Occlum.json", texts[n]), 50)
    got = parse(enclave.SOURCE, "Occlum.json", texts[50]).of(enclave.EnclaveManifest)[0]
    lines = texts[50].splitlines()
    assert all(f'"{e.name}' in lines[(e.location.line or 0) - 1] for e in got.env)


@pytest.mark.timeout(60)
def test_gramine_if_blocks_do_not_slow_every_character() -> None:
    """Each character checked every open `{% if %}`: 100,000 of them and 1 MB was hours."""
    text = "{% if a %}\n" * 100_000 + 'loader.entrypoint = "x"\n# ' + "x" * 1_000_000 + "\n"
    assert load(text).data == {"loader": {"entrypoint": "x"}}


def test_inventory_removes_by_identity_in_one_pass() -> None:
    """list.remove per fact compared dataclasses field by field (and took the first equal)."""
    inventory = Inventory()
    same = [HostTee.from_dict({"hostname": "h"}) for _ in range(3)]
    for fact in same:
        inventory.add(fact)
    held = inventory.of(HostTee)
    inventory.remove_all([same[1], same[2]])
    assert held == [same[0]] and held[0] is same[0]


@pytest.mark.timeout(60)
def test_rook_csi_kms_lines_index_the_value_once() -> None:
    """A search of the JSON text per setting was quadratic in the settings."""
    settings = {f"K{i}": "v" for i in range(100_000)}
    value = json.dumps({"KMS_PROVIDER": "vaultv1", **settings}, indent=1)
    block = "\n".join("    " + line for line in value.splitlines())
    doc = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: csi-kms-connection-details}\n"
        f"data:\n  vault: |\n{block}\n"
    )
    (kms,) = parse(kube_yaml.SOURCE, "kms.yaml", doc).of(RookCsiKms)
    assert kms.kms.details["K99999"].line == 5 + 1 + 100_001  # after `{` and KMS_PROVIDER


@pytest.mark.timeout(60)
def test_string_appends_are_joined_once() -> None:
    """`A+=...` joined the whole value again on every append: 150,000 appends copied 300 GB."""
    piece = "x" * 30
    script = "A=start\n" + f"A+={piece}\n" * 150_000 + 'spark-submit --conf "spark.a=$A" app\n'
    _, (app,) = read_script(script, "run.sh")
    assert app.settings["spark.a"].value == "start" + piece * 150_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("line", ["ARG SPARK_VERSION=3.5.1", "FROM apache/spark:3.5.1"])
def test_dockerfile_pins_after_many_blank_lines(tmp_path: Path, line: str) -> None:
    """A line-start `\\s*` ran across every blank line: 100,000 of them took minutes."""
    write(tmp_path, "Dockerfile", "\n" * 100_000 + f"  {line}\n")
    inventory = Inventory()
    discover([str(tmp_path)], all_sources(), inventory)
    assert [p.version for p in inventory.of(SparkVersionPin)] == ["3.5.1"]
