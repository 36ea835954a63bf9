"""`triplock explain RULE`, and the examples it shows: each is audited, so none can drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from triplock.explain import all_examples
from triplock.rules.registry import all_rules

# Rules on what only a live endpoint, service or host shows, or on binary material
# (certificates, keys, keystores): their examples are told in words.
_LIVE_TARGETS = {
    "Endpoint",
    "HostTee",
    "SparkService",
    "EtcdSecrets",
    "CertChain",
    "PrivateKeyInfo",
    "Keystore",
}
RULES = {r.meta.id: r for r in all_rules()}
FILE_EXAMPLES = sorted(i for i, e in all_examples().items() if e.fail)
# Rules that never fail: what they find is a setting that has no effect, reported as unknown.
_UNKNOWN_ONLY = {"CEPH-011"}


def test_examples_name_real_rules_and_words_only_for_live_ones() -> None:
    for rule_id, example in all_examples().items():
        assert rule_id in RULES, rule_id
        if not example.fail:
            assert RULES[rule_id].meta.target in _LIVE_TARGETS, rule_id
            assert example.fail_text and example.fixed_text, rule_id


def _statuses(
    tmp_path: Path, files: dict[str, str], rule_id: str, modes: dict[str, int] | None = None
) -> set[str]:
    for path, content in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod((modes or {}).get(path, 0o644))
    result = run_cli("audit", str(tmp_path), "--format", "json", "--only", rule_id)
    return {f["status"] for f in result.json()["findings"] if f["rule_id"] == rule_id}


@pytest.mark.parametrize("rule_id", FILE_EXAMPLES)
def test_the_rule_fails_on_the_example_and_not_on_its_fix(tmp_path: Path, rule_id: str) -> None:
    example = all_examples()[rule_id]
    status = "unknown" if rule_id in _UNKNOWN_ONLY else "fail"
    assert status in _statuses(tmp_path / "fail", example.fail, rule_id)
    assert status not in _statuses(tmp_path / "fixed", example.fixed, rule_id, example.fixed_modes)


def test_every_rule_has_an_example() -> None:
    missing = sorted(set(RULES) - set(all_examples()))
    assert not missing, f"rules without an example in data/rule-examples.yaml: {missing}"


def test_explain_prints_the_control_the_guide_why_fix_and_example() -> None:
    result = run_cli("explain", "SPARK-001")
    assert result.code == 0
    out = result.out
    for part in (
        "spark.authentication",
        "Ensure spark.authenticate is enabled",
        "why:",
        "fix:",
        "https://spark.apache.org/docs/latest/security.html",
        "example, failing:",
        "spark.authenticate false",
        "example, fixed:",
    ):
        assert part in out, part


def test_explain_takes_a_slug_and_lower_case_and_prints_json() -> None:
    slug = RULES["SHELL-001"].meta.slug
    assert run_cli("explain", slug).out == run_cli("explain", "shell-001").out
    data = run_cli("explain", "SHELL-001", "--format", "json").json()
    assert data["control"] == RULES["SHELL-001"].meta.control
    assert "curl -k" in data["example"]["fail"]["bin/submit.sh"]


def test_an_unknown_rule_is_a_usage_error() -> None:
    result = run_cli("explain", "SPARK-9999")
    assert result.code == 2 and "unknown rule" in result.err
