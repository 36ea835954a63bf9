"""`triplock audit` flags that choose what runs, what is read, what is shown and how it exits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli

INSECURE = str(EXAMPLES / "spark-on-k8s" / "insecure")


def _rule_ids(*args: str) -> set[str]:
    result = run_cli("audit", *args, "--format", "json")
    return {f["rule_id"] for f in result.json()["findings"]}


def test_only_takes_rule_ids_slugs_and_controls_comma_separated() -> None:
    ids = _rule_ids(INSECURE, "--only", "spark.encryption,K8S-201", "--only", "SHELL-001")
    assert "K8S-201" in ids and "SHELL-001" in ids
    assert any(i.startswith("SPARK-") for i in ids)
    assert not {i for i in ids if i.startswith(("HADOOP-", "TEE-", "CERT-"))}


def test_disable_takes_comma_separated_lists() -> None:
    everything = _rule_ids(INSECURE)
    assert {"SHELL-001", "K8S-201"} <= everything
    assert not {"SHELL-001", "K8S-201"} & _rule_ids(INSECURE, "--disable", "SHELL-001,K8S-201")


@pytest.mark.parametrize("flag", ["--disable", "--only"])
def test_an_unknown_rule_is_a_usage_error(flag: str) -> None:
    result = run_cli("audit", INSECURE, flag, "SPARK-9999")
    assert result.code == 2
    assert "SPARK-9999" in result.err and result.out == ""


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("audit", str(tmp_path / "nope"), "--format", "json")
    assert result.code == 2
    assert "no such file" in result.err and result.out == ""


@pytest.mark.parametrize("flags", [["--soft-fail"], ["--fail-on", "never"]])
def test_soft_fail_reports_and_exits_zero(flags: list[str]) -> None:
    result = run_cli("audit", INSECURE, "--format", "json", *flags)
    assert result.code == 0
    assert any(f["status"] == "fail" for f in result.json()["findings"])


def test_soft_fail_still_exits_two_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "x.conf").write_bytes(b"\xff\xfe spark.a=b \x00")
    assert run_cli("audit", str(tmp_path / "x.conf"), "--soft-fail").code == 2


def test_fail_on_never_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "triplock.yaml"
    config.write_text("fail-on: never\n")
    result = run_cli("audit", INSECURE, "--format", "json", "--config", str(config))
    assert result.code == 0


def test_skip_path_leaves_matching_files_and_directories_unread(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "spark-defaults.conf").write_text("spark.authenticate false\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "spark-defaults.conf").write_text("spark.authenticate false\n")
    (tmp_path / "notes.conf").write_text("spark.authenticate false\n")
    result = run_cli(
        "audit", str(tmp_path), "--format", "json", "--skip-path", "tests", "--skip-path", "*.conf"
    )
    assert [i["path"] for i in result.json()["inputs"]] == []
    result = run_cli("audit", str(tmp_path), "--format", "json", "--skip-path", "tests")
    paths = sorted(
        Path(i["path"]).relative_to(tmp_path).as_posix() for i in result.json()["inputs"]
    )
    assert paths == ["conf/spark-defaults.conf", "notes.conf"]


def test_skip_path_in_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "spark-defaults.conf").write_text("spark.authenticate false\n")
    (tmp_path / "spark-defaults.conf").write_text("spark.authenticate false\n")
    config = tmp_path / ".triplock.yaml"
    config.write_text("skip-path: [charts]\n")
    result = run_cli("audit", str(tmp_path), "--format", "json", "--config", str(config))
    assert [Path(i["path"]).name for i in result.json()["inputs"]] == ["spark-defaults.conf"]
    assert all("charts" not in i["path"] for i in result.json()["inputs"])


def test_files_that_are_plainly_not_configuration_are_counted_not_errors(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "lib.jar").write_bytes(b"PK\x03\x04" + bytes(200))
    (tmp_path / "spark-defaults.conf").write_text("spark.authenticate false\n")
    data = run_cli("audit", str(tmp_path), "--format", "json").json()
    assert data["errors"] == []
    assert data["skipped"] == 2
    table = run_cli("audit", str(tmp_path), "--format", "table").out
    assert "2 files skipped (not configuration)" in " ".join(table.split())


def test_min_severity_filters_what_is_shown_not_the_exit_status() -> None:
    full = run_cli("audit", INSECURE, "--format", "json")
    shown = run_cli("audit", INSECURE, "--format", "json", "--min-severity", "critical")
    severities = {f["severity"] for f in shown.json()["findings"]}
    assert severities == {"critical"}
    assert len(shown.json()["findings"]) < len(full.json()["findings"])
    high_only = run_cli("audit", INSECURE, "--format", "json", "--min-severity", "critical")
    assert high_only.code == full.code == 1


def test_summary_counts_by_control_and_rule() -> None:
    result = run_cli("audit", INSECURE, "--summary")
    lines = result.out.splitlines()
    spark_auth = next(line for line in lines if line.startswith("spark.authentication "))
    full = run_cli("audit", INSECURE, "--format", "json").json()
    fails = sum(
        1
        for f in full["findings"]
        if f["control"] == "spark.authentication" and f["status"] == "fail" and not f["waiver"]
    )
    assert spark_auth.split()[1:3] == ["fail", str(fails)]
    shell_001 = next(line for line in lines if line.startswith("SHELL-001 "))
    assert "high" in shell_001
    assert "evidence" not in result.out and "fix:" not in result.out
    assert result.code == 1


def test_the_table_lists_failures_from_the_most_severe_down() -> None:
    out = run_cli("audit", INSECURE, "--format", "table").out
    titles = [
        line.split(" (")[0]
        for line in out.splitlines()
        if line.endswith(")")
        and ("failures (" in line or line.startswith(("Could not be judged", "Waived")))
    ]
    assert titles[:4] == ["Critical failures", "High failures", "Medium failures", "Low failures"]
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    severities = [
        rank[m[1]] for m in re.finditer(r"^\s+(?:\d+|-)\s+FAIL\s+(\w+) ", out, re.MULTILINE)
    ]
    assert len(severities) > 20
    assert severities == sorted(severities, reverse=True)
    counted = sum(int(m[1]) for m in re.finditer(r"^\w+ failures \((\d+)\)$", out, re.MULTILINE))
    summary = re.search(r"(\d+) failing findings", out)
    assert summary is not None and counted == int(summary[1])
