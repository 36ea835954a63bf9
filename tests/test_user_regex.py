"""Patterns from the audited files run on RE2: no pattern a file holds can hang the audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings_of, run_cli, write
from triplock.user_regex import UnsafePattern, compile_user_pattern

# Each takes exponential (or n^6) time in Python's backtracking `re` on this subject.
HOSTILE = ["(a|a)*b", "(a+)+b", "(x+x+)+y", "a*a*a*a*a*a*b"]
SUBJECT = "a" * 5_000 + "x" * 5_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pattern", HOSTILE)
def test_hostile_patterns_run_in_linear_time(pattern: str) -> None:
    assert compile_user_pattern(pattern).search(SUBJECT) is None


@pytest.mark.parametrize("pattern", ["(?=x)y", "(a)\\1", "[unclosed"])
def test_what_re2_cannot_run_is_refused_quietly(
    pattern: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UnsafePattern):
        compile_user_pattern(pattern)
    assert capfd.readouterr().err == ""  # RE2's own log is silenced


@pytest.mark.timeout(120)
def test_a_hostile_redaction_regex_in_a_conf_does_not_hang_the_audit(tmp_path: Path) -> None:
    key = "spark.hadoop.fs.s3a.secret.key"
    write(
        tmp_path,
        "spark-defaults.conf",
        f"spark.redaction.regex (a|a)*b\n{key} {'a' * 60}\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--only", "SPARK-050")
    assert [f["status"] for f in findings_of(result, "SPARK-050")] == ["fail"]


@pytest.mark.timeout(120)
def test_a_hostile_sensitive_keys_pattern_does_not_hang_the_audit(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        "<configuration>\n"
        "<property><name>hadoop.security.sensitive-config-keys</name>"
        "<value>(a+)+b</value></property>\n"
        f"<property><name>fs.s3a.secret.key</name><value>{'a' * 60}</value></property>\n"
        "</configuration>\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--only", "HADOOP-023")
    assert [f["status"] for f in findings_of(result, "HADOOP-023")] == ["fail"]
