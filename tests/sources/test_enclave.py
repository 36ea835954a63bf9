from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import ROOT, write
from triplock.facts.tee import EnclaveManifest, Framework
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.sources.enclave import SOURCE
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.toml_lines import TomlError, load

MANIFESTS = ROOT / "tests" / "fixtures" / "tee" / "manifests"


def read(path: Path) -> EnclaveManifest:
    file = InputFile(str(path), path.read_bytes())
    assert SOURCE.claims(file)
    inventory = Inventory()
    SOURCE.parse(file, inventory)
    (manifest,) = inventory.of(EnclaveManifest)
    return manifest


def test_template_placeholders_are_templated_values_with_lines() -> None:
    m = read(MANIFESTS / "templated.manifest.template")
    assert m.framework is Framework.GRAMINE
    debug = m.settings["sgx.debug"]
    assert (debug.value, debug.templated, debug.location.line) == ("{{ debug }}", True, 6)
    assert m.settings["loader.entrypoint.uri"].value == "file:{{ gramine.libos }}"
    # the {% if %} block is blanked but its content (and line numbers) kept
    (allowed,) = m.allowed_files
    assert (allowed.uri, allowed.templated, allowed.location.line) == (
        "file:{{ data_dir }}/",
        True,
        12,
    )


def test_gramine_manifest_lists_mounts_env_and_keys() -> None:
    m = read(MANIFESTS / "spark-insecure.manifest.template")
    assert m.settings["sgx.debug"].value == "true"
    assert m.settings["sgx.debug"].location.line == 23
    assert [f.uri for f in m.trusted_files] == ["file:{{ gramine.libos }}", "file:/usr/bin/bash"]
    kube = next(f for f in m.allowed_files if "kube" in f.uri)
    assert kube.location.line == 38
    env = {e.name: e for e in m.env}
    assert env["KUBECONFIG"].from_host and env["KUBECONFIG"].location.line == 9
    assert env["SPARK_AUTH_SECRET"].value == "CANARY-not-used-here"
    encrypted = next(mnt for mnt in m.mounts if mnt.type == "encrypted")
    assert (encrypted.path, encrypted.key_name, encrypted.location.line) == (
        "/ppml/encrypted-fs",
        "default",
        19,
    )
    assert "fs.insecure__keys.default" in m.literal_keys


def test_array_of_tables_mounts_and_quoted_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "app.manifest",
        (
            'libos.entrypoint = "/app"\n'
            "[sgx]\n"
            "debug = false\n"
            "'file_check_policy' = \"strict\"\n"
            "\n"
            "[[fs.mounts]]\n"
            'type = "encrypted"\n'
            'path = "/data"\n'
            'uri = "file:data"\n'
            'key_name = "_sgx_mrsigner"\n'
        ),
    )
    m = read(path)
    assert m.settings["sgx.file_check_policy"].location.line == 4
    (mount,) = m.mounts
    assert (mount.key_name, mount.location.line) == ("_sgx_mrsigner", 6)


def test_legacy_graphene_manifest() -> None:
    m = read(MANIFESTS / "graphene-legacy.manifest.template")
    assert m.framework is Framework.GRAPHENE
    assert "sgx.debug" not in m.settings
    assert m.settings["loader.insecure__use_cmdline_argv"].value == "1"
    assert [f.location.line for f in m.allowed_files] == [21, 22]
    assert {mnt.path for mnt in m.mounts} >= {"/lib", "/usr"}
    assert "sgx.protected_files_key" in m.literal_keys


def test_graphene_toml_is_graphene(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "python.manifest.template",
        'loader.preload = "file:{{ graphene.libos }}"\nsgx.enclave_size = "1G"\n',
    )
    assert read(path).framework is Framework.GRAPHENE


def test_occlum_json() -> None:
    m = read(MANIFESTS / "occlum-insecure" / "Occlum.json")
    assert m.framework is Framework.OCCLUM
    assert m.settings["metadata.debuggable"].value == "true"
    assert m.settings["metadata.debuggable"].location.line == 30
    assert {e.name for e in m.env if e.from_host} == {
        "KUBECONFIG",
        "SPARK_AUTH_SECRET",
        "SPARK_EXECUTOR_ID",
    }
    hostfs = {f.target for f in m.allowed_files}
    assert "/var/run/secrets/kubernetes.io/serviceaccount" in hostfs
    assert any(mnt.key_name == "mount[/ppml/data].options.key" for mnt in m.mounts)


@pytest.mark.parametrize(
    "name,text",
    [
        ("app.manifest", "<?xml version='1.0'?><assembly/>"),  # a Windows assembly manifest
        ("MANIFEST.MF", "Manifest-Version: 1.0\n"),
        ("notes.manifest", "just words\n"),
    ],
)
def test_other_manifests_are_not_claimed(name: str, text: str) -> None:
    assert not SOURCE.claims(InputFile(name, text.encode()))


def test_broken_toml_is_a_source_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.manifest", 'sgx.debug = "unterminated\nloader.x = 1\n')
    with pytest.raises(SourceError, match="TOML"):
        SOURCE.parse(InputFile(str(path), path.read_bytes()), Inventory())


def test_broken_occlum_json_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="JSON"):
        SOURCE.parse(InputFile("Occlum.json", b"{ nope"), Inventory())


def test_jinja_inside_strings_and_bare() -> None:
    doc = load('a = "x{{ y }}z"\nb = {{ n }}\n# {{ c }}\nc = [\n  "{{ d }}",\n]\n')
    assert doc.restore(doc.data["a"]) == "x{{ y }}z"
    assert doc.restore(doc.data["b"]) == "{{ n }}"
    assert doc.key_lines == {"a": 1, "b": 2, "c": 4}


def test_jinja_statements_keep_line_numbers() -> None:
    doc = load("{% for x in xs %}\n{% endfor %}\n{# note #}\nk = 1\n")
    assert doc.key_lines["k"] == 4


def test_unparseable_toml_raises() -> None:
    with pytest.raises(TomlError):
        load("a = = 1\n")


def test_audit_reports_enclave_errors_and_goes_on(tmp_path: Path) -> None:
    from tests.helpers import run_cli

    write(tmp_path, "bad.manifest", "sgx.debug = [\n")
    write(tmp_path, "good.manifest", "sgx.debug = false\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    data = result.json()
    assert [e["path"].endswith("bad.manifest") for e in data["errors"]] == [True]
    assert "Traceback" not in result.err
    assert any(f["rule_id"] == "TEE-001" and f["status"] == "pass" for f in data["findings"])


def test_if_else_branches_assigning_one_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "app.manifest.template",
        (
            "{% if debug %}\n"
            "sgx.debug = true\n"
            "{% else %}\n"
            "sgx.debug = false\n"
            "{% endif %}\n"
            'sgx.remote_attestation = "dcap"\n'
        ),
    )
    m = read(path)
    debug = m.settings["sgx.debug"]
    assert (debug.templated, debug.location.line) == (True, 2)
    ra = m.settings["sgx.remote_attestation"]
    assert (ra.value, ra.templated, ra.location.line) == ("dcap", False, 6)


def test_nested_if_inside_a_dropped_branch(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "app.manifest.template",
        (
            "{% if a %}\nsgx.k = 1\n{% else %}\n{% if b %}\nsgx.k = 2\n{% endif %}\n{% endif %}\n"
            "loader.k = 3\n"
        ),
    )
    m = read(path)
    assert m.settings["sgx.k"].value == "1" and m.settings["sgx.k"].templated
    assert not m.settings["loader.k"].templated and m.settings["loader.k"].location.line == 8


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_TEXT = st.text(
    st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\{}%#'), max_size=12
)
_VALUE = st.one_of(
    st.integers(-1000, 1000),
    st.booleans(),
    _TEXT,
    st.tuples(_TEXT, _NAMES, _TEXT).map(lambda t: ("in-string", t)),
    _NAMES.map(lambda n: ("bare", n)),
)


@given(st.dictionaries(_NAMES, _VALUE, min_size=1, max_size=8), st.booleans())
def test_placeholders_round_trip_with_lines(entries: dict[str, object], comments: bool) -> None:
    lines: list[str] = []
    expected: dict[str, tuple[str, int]] = {}
    for name, value in entries.items():
        if comments:
            lines.append("# {{ not a value }} here")
        if isinstance(value, tuple) and value[0] == "in-string":
            before, var, after = value[1]
            text, shown = f'"{before}{{{{ {var} }}}}{after}"', f"{before}{{{{ {var} }}}}{after}"
        elif isinstance(value, tuple):
            text = shown = f"{{{{ {value[1]} }}}}"
        elif isinstance(value, bool):
            text = shown = "true" if value else "false"
        elif isinstance(value, int):
            text = shown = str(value)
        else:
            text, shown = f'"{value}"', str(value)
        lines.append(f"sgx.{name} = {text}")
        expected[f"sgx.{name}"] = (shown, len(lines))
    doc = load("\n".join(lines) + "\n")
    for key, (shown, line) in expected.items():
        raw = doc.data["sgx"][key.removeprefix("sgx.")]
        value = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
        assert doc.restore(value) == shown
        assert doc.key_lines[key] == line


def test_occlum_config_is_recognised_by_content(tmp_path: Path) -> None:
    text = (MANIFESTS / "occlum-insecure" / "Occlum.json").read_text()
    renamed = tmp_path / "occlum-spark-template.json"
    renamed.write_text(text)
    other = tmp_path / "package.json"
    other.write_text('{"name": "x", "mount": "not occlum"}')
    inv = Inventory()
    discover([str(tmp_path)], all_sources(), inv)
    (manifest,) = inv.of(EnclaveManifest)
    assert manifest.path == str(renamed) and manifest.framework is Framework.OCCLUM
    assert [r.path for r in inv.inputs] == [str(renamed)]


def test_toml_error_names_its_own_line_not_the_legacy_readers() -> None:
    """An unquoted value on line 26 of a Gramine TOML manifest made the legacy reader take
    over and report a line of its own (the first array item, line 15)."""
    text = (MANIFESTS / "spark-insecure.manifest.template").read_text().split("\n")
    assert text[25].startswith("sgx.remote_attestation")
    text[25] = "sgx.remote_attestation = none"
    with pytest.raises(SourceError, match=r"line 26, column"):
        SOURCE.parse(InputFile("app.manifest.template", "\n".join(text).encode()), Inventory())
