"""Defaults from .triplock.yaml or [tool.triplock]; flags on the command line win."""

from __future__ import annotations

import json
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
