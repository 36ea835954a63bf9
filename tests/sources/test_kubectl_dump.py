"""The documented way to audit a live cluster without a cluster client:
`kubectl get roles,rolebindings,clusterroles,clusterrolebindings,pods,serviceaccounts,configmaps,
secrets -A -o yaml | triplock audit -`. The dump below is written in kubectl's shape (kind: List,
managedFields, status, last-applied-configuration annotations); no API server runs here."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from tests.helpers import run_cli

CANARY = "CANARY-kubectl-dump-51d"
FORMATS = ("json", "table", "sarif", "markdown", "html", "junit", "summary")

_SECRET_DATA = {"password": CANARY, "token": f"{CANARY}-token"}


def _managed(manager: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": fields,
            "manager": manager,
            "operation": "Update",
            "time": "2026-12-01T10:00:00Z",
        }
    ]


def dump(noise: bool) -> dict[str, Any]:
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "spark-auth", "namespace": "spark"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in _SECRET_DATA.items()},
    }
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "spark-driver", "namespace": "spark"},
        "spec": {
            "serviceAccountName": "spark",
            "containers": [
                {
                    "name": "driver",
                    "image": "apache/spark:4.0.0",
                    "args": ["--conf", "spark.authenticate=false"],
                    "env": [{"name": "SPARK_AUTH_SECRET", "value": CANARY}],
                }
            ],
        },
    }
    role: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "spark", "namespace": "spark"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}],
    }
    items = [secret, pod, role]
    if noise:
        for item in items:
            meta = item["metadata"]
            meta["managedFields"] = _managed(
                "kubectl-client-side-apply",
                {"f:data": {"f:password": {}, "f:token": {}}, "f:spec": {"f:containers": {}}},
            )
            meta["resourceVersion"] = "123456"
            meta["uid"] = "0b0f1c9e-0000-4000-8000-000000000000"
            clean = {k: v for k, v in item.items() if k != "status"}
            clean["metadata"] = {"name": meta["name"], "namespace": meta["namespace"]}
            meta["annotations"] = {
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(clean)
            }
        pod["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}] * 50,
            "containerStatuses": [{"name": "driver", "ready": True, "restartCount": 0}],
        }
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}


def _findings(fmt: str, noise: bool) -> str:
    result = run_cli("audit", "-f", fmt, "-", stdin=yaml.safe_dump(dump(noise)))
    assert result.code in (0, 1), result.err
    return result.out


@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_data_never_reaches_any_output(fmt: str) -> None:
    out = _findings(fmt, noise=True)
    for value in _SECRET_DATA.values():
        assert value not in out
        assert base64.b64encode(value.encode()).decode() not in out
    assert CANARY not in out


def _identities(out: str) -> set[tuple[str, str, str | None]]:
    return {
        (f["rule_id"], f["status"], f["location"]["object"]) for f in json.loads(out)["findings"]
    }


def test_managed_fields_and_status_change_nothing() -> None:
    plain, noisy = _identities(_findings("json", False)), _identities(_findings("json", True))
    assert plain == noisy
    assert any(status == "fail" for _, status, _ in noisy)  # the dump is judged at all


def test_noise_is_never_an_object_of_a_finding() -> None:
    out = json.loads(_findings("json", True))
    assert out["errors"] == []
    for finding in out["findings"]:
        assert "managedFields" not in json.dumps(finding)
        assert "last-applied" not in json.dumps(finding)
