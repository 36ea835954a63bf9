"""Defaults from .triplock.yaml or [tool.triplock]; flags on the command line win."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from triplock import config
from triplock.config import ConfigError

CONF = "spark.authenticate false\n"  # SPARK-001 fails at high


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_no_file_gives_defaults(in_tmp: Path) -> None:
    assert config.find() is None
    assert config.load(None) == config.Config()


def test_yaml_file_is_found_and_read(in_tmp: Path) -> None:
    write(
        in_tmp,
        ".triplock.yaml",
        "fail-on: critical\nformats: [json, sarif]\noutputs: ['-', out.sarif]\n"
        "disable: [SPARK-010]\ninline-waivers: false\nwaiver-file: sec/waivers.yaml\n"
        "waivers:\n  - rule: SPARK-001\n    reason: r\n",
    )
    found = config.find()
    assert found is not None and found.endswith(".triplock.yaml")
    c = config.load(found)
    assert (c.fail_on, c.formats, c.outputs, c.disable) == (
        "critical",
        ("json", "sarif"),
        ("-", "out.sarif"),
        ("SPARK-010",),
    )
    assert c.inline_waivers is False
    assert c.waiver_file == str(in_tmp / "sec" / "waivers.yaml")
    assert [w.source for w in c.waivers] == [f"{found}:8"]


def test_pyproject_table(in_tmp: Path) -> None:
    write(in_tmp, "pyproject.toml", "[project]\nname = 'x'\n")
    assert config.find() is None, "a pyproject.toml without [tool.triplock] is not a config"
    write(
        in_tmp,
        "pyproject.toml",
        '[tool.triplock]\nfail_on = "low"\n[[tool.triplock.waivers]]\n'
        'rule = "SPARK-001"\nreason = "r"\nexpires = 2030-01-01\n',
    )
    c = config.load(config.find())
    assert c.fail_on == "low"
    assert c.waivers[0].expires is not None and c.waivers[0].expires.year == 2030
    assert c.waivers[0].source.endswith("pyproject.toml waivers[0]")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fail_on: high\nfial-on: x\n", "unknown key(s) fial-on"),
        ("fail-on: severe\n", "fail-on must be one of"),
        ("inline-waivers: maybe\n", "inline-waivers must be true or false"),
        ("formats: 3\n", "formats must be a list of strings"),
        ("- a\n", "expected a mapping"),
        ("a: [\n", ":2: not valid YAML"),
        ("waivers:\n  - reason: r\n", ":2: a waiver names a rule or a control"),
    ],
)
def test_bad_files_name_themselves(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "c.yaml", text)
    with pytest.raises(ConfigError) as caught:
        config.load(str(path))
    assert str(caught.value).startswith(str(path))
    assert problem in str(caught.value)


def test_cli_uses_the_config_and_flags_win(in_tmp: Path) -> None:
    write(in_tmp, "deploy/spark-defaults.conf", CONF)
    write(in_tmp, ".triplock.yaml", "fail-on: critical\nformats: [markdown]\n")
    result = run_cli("audit", "deploy")
    assert result.code == 0, "fail-on: critical from the file"
    assert result.out.startswith("### triplock:"), "formats from the file"
    result = run_cli("audit", "deploy", "--fail-on", "high", "--format", "json")
    assert result.code == 1, "--fail-on wins"
    json.loads(result.out)


def test_cli_config_flag_waiver_file_and_disable(in_tmp: Path) -> None:
    write(in_tmp, "deploy/spark-defaults.conf", CONF)
    write(
        in_tmp,
        "ci/triplock.yaml",
        "disable: [spark-authenticate-off]\nwaiver-file: waivers.yaml\n",
    )
    write(in_tmp, "ci/waivers.yaml", "- control: spark.encryption\n  reason: r\n")
    result = run_cli("audit", "deploy", "--format", "json", "--config", "ci/triplock.yaml")
    findings = result.json()["findings"]
    assert not any(f["rule_id"] == "SPARK-001" for f in findings)
    waived = [f for f in findings if f["waiver"]]
    assert waived and all(f["control"] == "spark.encryption" for f in waived)


def test_cli_bad_config_is_a_usage_error(in_tmp: Path) -> None:
    write(in_tmp, "deploy/spark-defaults.conf", CONF)
    write(in_tmp, ".triplock.yaml", "fail-on: sometimes\n")
    result = run_cli("audit", "deploy")
    assert result.code == 2
    assert ".triplock.yaml: fail-on must be one of" in result.err


def test_pre_commit_hook_runs_the_cli(in_tmp: Path) -> None:
    import re

    import yaml

    from tests.helpers import ROOT

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "triplock" and hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("conf/spark-defaults.conf", "k8s/app.yaml", "etc/hadoop/core-site.xml", "run.sh"):
        assert files.search(name), name
    assert not files.search("src/main.py")
    argv = hook["entry"].split() + hook["args"]
    assert argv[0] == "triplock"
    write(in_tmp, "spark-defaults.conf", CONF)
    result = run_cli(*argv[1:])
    assert result.code == 1 and "SPARK-001" in result.out


# A configuration found in the working directory came with the repository: it may not write
# or read files outside it (issue 12: a cloned repository's .triplock.yaml rewrote
# ~/.ssh/authorized_keys). Only the command line may.


@pytest.mark.parametrize("key", ["outputs", "waiver-file"])
def test_a_found_config_cannot_name_files_outside_its_tree(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory, key: str
) -> None:
    outside = tmp_path_factory.mktemp("home") / "authorized_keys"
    outside.write_text("ssh-ed25519 AAAA precious\n")
    write(in_tmp, "spark-defaults.conf", CONF)
    value = f"[{outside}]" if key == "outputs" else str(outside)
    write(in_tmp, ".triplock.yaml", f"formats: [json]\n{key}: {value}\n")
    result = run_cli("audit", ".")
    assert result.code == 2
    assert f".triplock.yaml: {key}: {outside} is outside {in_tmp}" in result.err
    assert outside.read_text() == "ssh-ed25519 AAAA precious\n"


def test_a_link_in_the_tree_does_not_lead_a_found_config_out(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("home") / "authorized_keys"
    outside.write_text("precious\n")
    (in_tmp / "report.json").symlink_to(outside)
    write(in_tmp, "spark-defaults.conf", CONF)
    write(in_tmp, ".triplock.yaml", "formats: [json]\noutputs: [report.json]\n")
    result = run_cli("audit", ".")
    assert result.code == 2
    assert f"outputs: {in_tmp / 'report.json'} (resolved: {outside}) is outside" in result.err
    assert outside.read_text() == "precious\n"


def test_a_found_config_writes_inside_its_tree(in_tmp: Path) -> None:
    write(in_tmp, "spark-defaults.conf", CONF)
    write(in_tmp, ".triplock.yaml", "formats: [json, sarif]\noutputs: ['-', out/r.sarif]\n")
    (in_tmp / "out").mkdir()
    result = run_cli("audit", ".")
    assert result.code == 1, result.err
    assert json.loads((in_tmp / "out" / "r.sarif").read_text())["runs"]


def test_a_config_named_with_the_flag_may_write_anywhere(
    in_tmp: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("reports") / "r.json"
    write(in_tmp, "spark-defaults.conf", CONF)
    write(in_tmp, "ci.yaml", f"formats: [json]\noutputs: [{elsewhere}]\n")
    result = run_cli("audit", ".", "--config", "ci.yaml")
    assert result.code == 1, result.err
    assert json.loads(elsewhere.read_text())["findings"]


def test_an_impossible_expiry_date_names_the_field(in_tmp: Path) -> None:
    write(in_tmp, "spark-defaults.conf", CONF)
    write(
        in_tmp,
        ".triplock.yaml",
        "waivers:\n  - rule: SPARK-001\n    reason: r\n    expires: 2020-13-45\n",
    )
    result = run_cli("audit", ".")
    assert result.code == 2
    assert result.err == (
        "triplock: error: ./.triplock.yaml:2: expires must be a date (YYYY-MM-DD)\n"
    )


def test_yaml_timestamps_still_expire_waivers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        "waivers:\n  - {rule: SPARK-001, reason: r, expires: 2030-01-02}\n"
        "  - {rule: SPARK-001, reason: r, expires: '2030-01-03 10:00:00'}\n",
    )
    assert [w.expires for w in config.load(str(path)).waivers] == [
        dt.date(2030, 1, 2),
        dt.date(2030, 1, 3),
    ]


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_a_waiver_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, target: str) -> None:
    if target == "fifo":
        target = str(tmp_path / "w.fifo")
        os.mkfifo(target)
    path = write(tmp_path, "c.yaml", f"waiver-file: {target}\n")
    result = run_cli(
        "audit", str(write(tmp_path, "spark-defaults.conf", CONF)), "--config", str(path)
    )
    assert result.code == 2
    assert "not a regular file; not read" in result.err and target in result.err


def test_a_number_too_long_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "fail-on: " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError) as caught:
        config.load(str(path))
    assert str(caught.value) == f"{path}: not valid YAML (a number too long)"


def test_a_pyproject_whose_tool_is_not_a_table_has_no_config(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", "tool = 5\n")
    assert config.load(str(path)) == config.Config(path=str(path))


def test_an_unknown_rule_in_the_config_names_the_file_and_field(in_tmp: Path) -> None:
    write(in_tmp, "spark-defaults.conf", CONF)
    write(in_tmp, ".triplock.yaml", "disable: [SPARK-999]\n")
    result = run_cli("audit", ".")
    assert result.code == 2
    assert result.err.startswith(
        "triplock: error: ./.triplock.yaml: disable: unknown rule: SPARK-999"
    )
