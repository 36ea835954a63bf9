"""`triplock explain RULE`: a rule's control, the guide's words, why, how to fix, and an example.

Examples live in data/rule-examples.yaml: for each rule id, the files (path -> content) of a small
deployment that fails the rule (`fail`) and the same deployment fixed (`fixed`). A test audits
every example and checks that the rule fails on the first and not on the second, so the
examples cannot drift from the rules.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from triplock.controls import CONTROLS, STAGE_TITLES
from triplock.rules.registry import Rule


@dataclass(frozen=True, slots=True)
class RuleExample:
    rule_id: str
    fail: dict[str, str]  # path -> content; empty for an example told in words
    fixed: dict[str, str]
    fail_text: str = ""  # for rules on what only a live endpoint or a host shows
    fixed_text: str = ""
    fixed_modes: dict[str, int] = field(default_factory=dict)  # path -> mode of the fixed files


@functools.cache
def all_examples() -> dict[str, RuleExample]:
    import yaml

    text = resources.files("triplock").joinpath("data/rule-examples.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text) or {}
    return {rule_id: _example(rule_id, item) for rule_id, item in data.items()}


def example(rule_id: str) -> RuleExample | None:
    return all_examples().get(rule_id)


def _example(rule_id: str, item: dict[str, Any]) -> RuleExample:
    if "fail_text" in item:
        return RuleExample(rule_id, {}, {}, str(item["fail_text"]), str(item["fixed_text"]))
    path = item.get("path")
    modes = {str(k): int(str(v), 8) for k, v in (item.get("fixed_modes") or {}).items()}
    return RuleExample(
        rule_id, _files(item["fail"], path), _files(item["fixed"], path), fixed_modes=modes
    )


def _files(value: str | dict[str, str], path: str | None) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if path is None:
        raise ValueError("an example given as text needs a `path`")
    return {path: value}


def explanation(rule: Rule[Any]) -> dict[str, Any]:
    meta = rule.meta
    control = CONTROLS[meta.control]
    found = example(meta.id)
    return {
        "id": meta.id,
        "slug": meta.slug,
        "title": meta.title,
        "severity": meta.severity.value,
        "control": meta.control,
        "stage": STAGE_TITLES[control.stage],
        "guide": control.asks,
        "rationale": meta.rationale,
        "remediation": meta.remediation,
        "references": list(meta.references),
        "example": None if found is None else _example_dict(found),
    }


def _example_dict(found: RuleExample) -> dict[str, Any]:
    if found.fail_text:
        return {"fail": found.fail_text, "fixed": found.fixed_text}
    return {
        "fail": found.fail,
        "fixed": found.fixed,
        "fixed_modes": {p: f"{m:04o}" for p, m in found.fixed_modes.items()},
    }


def render_text(data: dict[str, Any]) -> str:
    lines = [
        f"{data['id']} ({data['slug']}, {data['severity']}): {data['title']}",
        "",
        f"control:     {data['control']} ({data['stage']})",
        f"the guide:   {data['guide']}",
        "",
        "why:",
        *_indent(data["rationale"]),
        "",
        "fix:",
        *_indent(data["remediation"]),
    ]
    if data["references"]:
        lines += ["", "references:", *(f"  {r}" for r in data["references"])]
    if data["example"]:
        for label in ("fail", "fixed"):
            lines += ["", f"example, {'failing' if label == 'fail' else 'fixed'}:"]
            shown = data["example"][label]
            if isinstance(shown, str):
                lines += _indent(shown)
                continue
            for path, content in shown.items():
                mode = data["example"].get(f"{label}_modes", {}).get(path)
                lines.append(f"  # {path}" + (f" (mode {mode})" if mode else ""))
                lines += [f"  {line}" if line else "" for line in content.rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> list[str]:
    return textwrap.wrap(text, width=96, initial_indent="  ", subsequent_indent="  ")
