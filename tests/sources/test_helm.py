"""Unrendered Helm charts: templates judged with their actions masked (literal settings as
usual, templated values unknown), values files read as the chart's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.helm import HelmValues
from triplock.facts.kube import PodSpec
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.sources.helm_template import is_helm_template, mask_actions
from triplock.sources.kube_load import load_documents

CHART = ROOT / "tests" / "fixtures" / "helm" / "spark-chart"


def inventory_of(path: Path) -> Inventory:
    inv = Inventory()
    discover([str(path)], all_sources(), inv)
    return inv


@pytest.mark.parametrize(
    ("template", "masked"),
    [
        ('  name: {{ include "x" . }}-master\n', "  name: '{{ include \"x\" . }}-master'\n"),
        ('  labels: {{- include "l" . | nindent 4 }}\n', "  labels:\n"),
        ("{{- if .Values.a }}\n", "\n"),
        ("  - {{ .Values.x }}\n", "  - '{{ .Values.x }}'\n"),
        ('  v: "{{ .Values.x }}"\n', '  v: "{{ .Values.x }}"\n'),
        ("  v: {{ .Values.it's }}\n", "  v: '{{ .Values.it''s }}'\n"),
        ("{{/* a\ncomment */}}\nkind: Pod\n", "\n\nkind: Pod\n"),
        ("  {{ .Values.key }}: v\n", "\n"),
        ("# {{ not an action }}\n", "# {{ not an action }}\n"),
    ],
)
def test_actions_are_masked_on_their_own_lines(template: str, masked: str) -> None:
    assert mask_actions(template) == masked


def test_a_comment_with_braces_is_not_a_template() -> None:
    assert not is_helm_template("kind: Pod  # {{ .Values.x }}\n")
    assert is_helm_template("kind: Pod\nname: {{ .Values.x }}\n")


def test_template_is_judged_not_refused() -> None:
    inv = inventory_of(CHART / "templates")
    assert not inv.errors
    (pod,) = inv.of(PodSpec)
    env = {e.name: e for e in pod.containers[0].env}
    assert env["SPARK_MODE"].value == "master" and not env["SPARK_MODE"].templated
    assert env["SPARK_SSL_KEYSTORE_PASSWORD"].templated
    assert env["SPARK_SSL_KEYSTORE_PASSWORD"].line == 33  # lines survive the masking
    assert env["SPARK_RPC_AUTHENTICATION_SECRET"].secret_ref is not None  # both branches read


def test_literal_secret_in_template_fails_templated_one_is_unknown() -> None:
    result = run_cli("audit", str(CHART / "templates"), "--format", "json")
    fails = findings_of(result, "K8S-001", "fail")
    assert [f["location"]["line"] for f in fails] == [35]
    unknowns = findings_of(result, "K8S-001", "unknown")
    assert [f["location"]["line"] for f in unknowns] == [33]
    assert "spark-metrics-token" not in result.out


def test_values_file_is_the_charts_defaults() -> None:
    inv = inventory_of(CHART)
    (values,) = inv.of(HelmValues)
    assert values.defaults and values.chart == "spark-chart"
    entries = {e.path: e for e in values.entries}
    assert entries["security.rpc.authenticationEnabled"].value is False
    assert entries["security.rpc.authenticationEnabled"].line == 15
    assert entries["image.tag"].value == "3.5.1-debian-12-r0"


def test_values_without_a_chart_are_not_claimed(tmp_path: Path) -> None:
    write(tmp_path, "values.yaml", "auth:\n  enabled: false\n")
    inv = inventory_of(tmp_path)
    assert not inv.of(HelmValues)


def test_template_that_stays_unreadable_is_an_error_and_the_audit_goes_on(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Pod\nspec: [\n  {{ .Values.x }}\n")
    write(tmp_path, "ok.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (error,) = result.json()["errors"]
    assert error["path"].endswith("bad.yaml") and "malformed YAML" in error["reason"]
    assert any(i["path"].endswith("ok.yaml") for i in result.json()["inputs"])


def test_masked_template_loads_as_yaml() -> None:
    text = (CHART / "templates" / "statefulset-master.yaml").read_text()
    (doc,) = load_documents(mask_actions(text))
    assert doc["kind"] == "StatefulSet"


def test_a_default_literal_is_masked_so_no_report_carries_it() -> None:
    masked = mask_actions('  v: {{ .Values.t | default "s3cr3t-default" }}\n')
    assert masked == "  v: '{{ .Values.t | default \"****\" }}'\n"


@pytest.mark.parametrize(
    "line",
    ["{{" * 200_000, "a" + " " * 400_000 + "{{ x }}", "k: " + "{{ x }" * 100_000],
)
def test_hostile_lines_are_masked_in_one_pass(line: str) -> None:
    """Unclosed actions and long lines: the scanner uses str.find, so this does not go
    quadratic (the regexes it replaced did)."""
    masked = mask_actions(f"kind: Pod\n{line}\n")
    assert masked.startswith("kind: Pod\n") and masked.count("\n") == 2


def test_values_file_with_a_services_key_is_still_the_charts(tmp_path: Path) -> None:
    write(tmp_path, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    write(tmp_path, "values.yaml", "services:\n  web:\n    image: nginx\n    port: 80\n")
    inv = inventory_of(tmp_path)
    assert [r.kind for r in inv.inputs if r.path.endswith("values.yaml")] == ["helm-values"]


def test_templated_service_account_is_not_judged_as_without_api_access(tmp_path: Path) -> None:
    """The operator chart pattern: the account name and its binding's subject are both
    `{{ include ... }}`; whether it has API access cannot be told (kubeflow/spark-operator
    charts/spark-operator-chart/templates/controller/deployment.yaml and rbac.yaml)."""
    account = '{{ include "op.serviceAccountName" . }}'
    write(
        tmp_path,
        "deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: op\nspec:\n  template:\n"
        f"    spec:\n      serviceAccountName: {account}\n      containers:\n"
        "        - name: c\n          image: op:1\n",
    )
    write(
        tmp_path,
        "rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n"
        "  name: op\nroleRef: {kind: ClusterRole, name: op, apiGroup: rbac.authorization.k8s.io}\n"
        f"subjects:\n  - kind: ServiceAccount\n    name: {account}\n    namespace: x\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert not findings_of(result, "K8S-006", "fail")
    assert findings_of(result, "K8S-006", "unknown")


def test_helm_unittest_suites_are_not_manifests(tmp_path: Path) -> None:
    """kubeflow/spark-operator charts/spark-operator-chart/tests/*_test.yaml pattern."""
    write(
        tmp_path,
        "rbac_test.yaml",
        "suite: Test rbac\ntemplates:\n  - rbac.yaml\ntests:\n  - it: renders\n    asserts:\n"
        "      - containsDocument:\n          apiVersion: rbac.authorization.k8s.io/v1\n"
        "          kind: ClusterRole\n",
    )
    inv = inventory_of(tmp_path)
    assert not inv.errors and not inv.inputs


def test_bitnami_spark_pod_env_becomes_spark_settings(tmp_path: Path) -> None:
    """bitnami/charts bitnami/spark statefulset pattern, rendered: the image writes its
    SPARK_RPC_* variables into spark-defaults.conf."""
    write(
        tmp_path,
        "sts.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: spark-master}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: spark-master\n"
        "          image: docker.io/bitnami/spark:3.5.1\n          env:\n"
        "            - name: SPARK_MODE\n              value: master\n"
        '            - name: SPARK_RPC_AUTHENTICATION_ENABLED\n              value: "no"\n',
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (fail,) = findings_of(result, "SPARK-001", "fail")
    assert fail["location"]["line"] == 14 and "false" in fail["message"]
