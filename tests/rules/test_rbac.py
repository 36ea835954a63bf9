"""RBAC rules judged on effective permissions (bindings, aggregation, built-in roles)."""

from __future__ import annotations

import pytest

from tests.helpers.kube_audit import findings, lines

INSECURE = "insecure-all.yaml"
HARDENED = "hardened"


def test_wildcards() -> None:
    (fail,) = findings("K8S-101", "fail", INSECURE)
    assert fail["location"]["line"] == 26
    assert "resources, apiGroups" in fail["message"]
    assert findings("K8S-101", "pass", HARDENED)


@pytest.mark.parametrize(
    ("rule_id", "failing_lines"),
    [
        ("K8S-102", [19, 46]),  # built-in edit reads Secrets; alice's get on *
        ("K8S-103", [19, 46]),  # edit: pods/exec
        ("K8S-104", [19, 46]),  # edit: impersonate serviceaccounts; ops: escalate/bind
        ("K8S-105", [19]),  # edit: serviceaccounts/token create
        ("K8S-106", [46]),
        ("K8S-107", [46]),
    ],
)
def test_dangerous_permissions_point_at_the_binding(rule_id: str, failing_lines: list[int]) -> None:
    assert lines(rule_id, "fail", INSECURE) == failing_lines
    assert not findings(rule_id, "fail", HARDENED)
    assert findings(rule_id, "pass", HARDENED)


def test_edit_bound_to_a_workload_identity() -> None:
    (fail,) = findings("K8S-108", "fail", INSECURE)
    assert fail["location"]["line"] == 19
    assert "cluster-wide" in fail["message"]
    (namespaced,) = findings("K8S-108", "fail", "sparkapp-operator.yaml")
    assert "in namespace spark-jobs" in namespaced["message"]
    assert findings("K8S-108", "pass", HARDENED)


def test_user_bound_to_edit_is_not_a_workload_identity() -> None:
    assert all(
        "bob" not in f["message"] for f in findings("K8S-108", "fail", "sparkapp-operator.yaml")
    )


def test_spark_driver_beyond_documented_needs() -> None:
    (fail,) = findings("K8S-109", "fail", "sparkapp-operator.yaml")
    assert fail["location"]["line"] == 44
    assert "resources" in fail["message"]
    (ok,) = findings("K8S-109", "pass", HARDENED)
    assert "only what Spark's driver needs" in ok["message"]
