"""The Kubernetes source: safe loading with lines, lists, JSON, stdin, Helm templates, alias
bombs, and the facts each kind of object yields."""

from __future__ import annotations

import tracemalloc
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.kube import (
    ApiServer,
    EncryptionConfig,
    KubeBinding,
    KubeConfigMap,
    KubeRole,
    KubeSecret,
    PodSpec,
    SubjectAccess,
    YList,
    YMap,
)
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory
from triplock.sources.discovery import discover
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.kube_load import load_documents
from triplock.sources.kube_yaml import SOURCE

FIXTURES = ROOT / "tests" / "fixtures" / "kube"


def inventory_of(*paths: Path) -> Inventory:
    inv = Inventory()
    discover([str(p) for p in paths], [SOURCE], inv)
    return inv


def billion_laughs(levels: int = 10) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for i in range(1, levels):
        name = chr(ord("a") + i)
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def test_every_document_keeps_the_line_of_each_key() -> None:
    docs = list(load_documents("# c\n---\nkind: Pod\nmetadata:\n  name: x\n---\nkind: Secret\n"))
    assert [d["kind"] for d in docs] == ["Pod", "Secret"]
    assert docs[0].line == 3
    assert docs[0].map("metadata") is not None
    assert docs[0].lines["metadata"] == 4
    assert docs[1].line == 7


def test_kind_list_and_json_are_flattened() -> None:
    inv = inventory_of(FIXTURES / "list.json")
    assert not inv.errors
    (cm,) = inv.of(KubeConfigMap)
    assert cm.ref.label == "ConfigMap/web/app"
    assert [e.line for e in cm.entries] == [10, 11]
    assert len(inv.of(PodSpec)) == 1


def test_merge_keys_are_applied() -> None:
    (doc,) = load_documents("base: &b {a: 1, b: 2}\nkind: X\nspec:\n  <<: *b\n  b: 3\n")
    spec = doc.map("spec")
    assert spec is not None
    assert dict(spec) == {"b": "3", "a": "1"}


def test_alias_bomb_is_refused_with_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match="alias bomb"):
            list(load_documents(billion_laughs()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_alias_bomb_is_an_input_error_not_a_traceback(tmp_path: Path) -> None:
    write(tmp_path, "bomb.yaml", "apiVersion: v1\nkind: ConfigMap\n" + billion_laughs())
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.code == 2
    (error,) = result.json()["errors"]
    assert "alias bomb" in error["reason"]


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(SourceError, match="recursive"):
        list(load_documents("kind: X\na: &a [*a]\n"))


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(SourceError, match=r"line \d+: malformed YAML"):
        list(load_documents("kind: Pod\nspec:\n  containers: [\n"))


def test_unrendered_helm_template_is_read_not_refused() -> None:
    result = run_cli("audit", str(FIXTURES / "helm-unrendered.yaml"), "--format", "json")
    assert not result.json()["errors"]
    assert [i["kind"] for i in result.json()["inputs"]] == ["kubernetes"]


def test_stdin_is_read(tmp_path: Path) -> None:
    text = (FIXTURES / "encryption-bad.yaml").read_text()
    result = run_cli("audit", "-", "--format", "json", stdin=text)
    (fail,) = findings_of(result, "K8S-201", "fail")
    assert fail["location"]["path"] == "<stdin>"
    assert fail["location"]["line"] == 14


def test_yaml_that_is_not_kubernetes_is_not_claimed() -> None:
    ci = InputFile("ci.yml", b"name: build\non: push\njobs:\n  test:\n    runs-on: ubuntu\n")
    assert not SOURCE.claims(ci)
    chart = InputFile("Chart.yaml", b"apiVersion: v2\nname: spark\nversion: 1.0.0\n")
    assert not SOURCE.claims(chart)


def test_object_kinds_become_typed_facts() -> None:
    inv = inventory_of(FIXTURES / "insecure-all.yaml")
    assert not inv.errors
    (pod,) = inv.of(PodSpec)
    assert pod.owner.label == "Deployment/spark-jobs/notebook"
    env = {e.name: e for e in pod.containers[0].env}
    assert env["DB_PASSWORD"].line == 63
    assert env["API_TOKEN"].secret_ref == ("api", "token")
    assert [v.kind for v in pod.volumes] == ["hostPath"]
    assert {r.ref.name for r in inv.of(KubeRole)} == {"ops"}
    assert {b.ref.name for b in inv.of(KubeBinding)} == {"spark-edit", "ops"}
    (secret,) = inv.of(KubeSecret)
    assert [e.key for e in secret.entries] == ["token", "broken"]
    (cm,) = inv.of(KubeConfigMap)
    embedded = [e for e in cm.entries if e.embedded_in == "spark-defaults.conf"]
    assert [(e.key, e.line, e.conf_kind) for e in embedded][1] == (
        "spark.ssl.keyStorePassword",
        86,
        "spark",
    )


def test_rbac_resolves_builtin_and_aggregated_roles(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rbac.yaml",
        """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: spark-extra
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: team}
subjects:
- {kind: Group, name: analysts}
roleRef: {kind: ClusterRole, name: view}
""",
    )
    inv = inventory_of(tmp_path)
    (access,) = inv.of(SubjectAccess)
    assert access.subject.label == "Group analysts"
    assert access.holding("get", "nodes")  # aggregated into view from the inputs
    assert access.holding("list", "pods")  # view's built-in rules
    assert not access.holding("get", "secrets")  # view never reads Secrets
    assert all(g.namespace == "team" for g in access.grants)


def test_unknown_role_is_unresolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        "b.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: b}\nsubjects: [{kind: User, name: u}]\n"
        "roleRef: {kind: ClusterRole, name: made-up}\n",
    )
    (access,) = inventory_of(tmp_path).of(SubjectAccess)
    assert access.grants == []
    assert access.unresolved[0][0] == "ClusterRole/made-up"


def test_spark_operator_application_becomes_spark_facts() -> None:
    inv = inventory_of(FIXTURES / "sparkapp-operator.yaml")
    (app,) = inv.of(SparkApp)
    assert app.kind is SparkOrigin.KUBERNETES
    assert app.on_kubernetes
    assert app.spark_version == "3.5.1"
    image = app.get("spark.kubernetes.container.image")
    assert image is not None and image.value == "apache/spark:3.5.1"
    assert image.location.line == 9
    sa = app.get("spark.kubernetes.authenticate.driver.serviceAccountName")
    assert sa is not None and sa.value == "spark" and sa.location.line == 25
    secret = app.get("spark.authenticate.secret")
    assert secret is not None and secret.exposed and secret.location.line == 15
    hadoop = app.get("spark.hadoop.fs.s3a.secret.key")
    assert hadoop is not None and hadoop.location.line == 19
    ref = app.get("spark.kubernetes.executor.secretKeyRef.TOKEN")
    assert ref is not None and ref.value == "api:token"
    assert app.get("spark.kubernetes.namespace") is not None
    roles = {p.spark_role: p for p in inv.of(PodSpec)}
    assert roles["driver"].secret_mount_paths() == ["/mnt/tls"]
    assert roles["driver"].service_account == "spark"


def test_scheduled_spark_application_uses_its_template(tmp_path: Path) -> None:
    write(
        tmp_path,
        "s.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\n"
        "metadata: {name: nightly, namespace: etl}\nspec:\n  schedule: '@daily'\n"
        "  template:\n    sparkConf:\n      spark.io.encryption.enabled: 'true'\n",
    )
    (app,) = inventory_of(tmp_path).of(SparkApp)
    assert app.flag("spark.io.encryption.enabled", default=False) is True


def test_apache_operator_pod_templates_and_conf() -> None:
    inv = inventory_of(FIXTURES / "apache-operator.yaml")
    (app,) = inv.of(SparkApp)
    assert app.spark_version == "4.0.0"
    (pod,) = inv.of(PodSpec)
    assert pod.spark_role == "executor"
    assert pod.automount is False


def test_spark_submit_in_a_pod_template_command() -> None:
    inv = inventory_of(FIXTURES / "driver-pod-template.yaml")
    (pod,) = inv.of(PodSpec)
    assert pod.spark_role == "driver"
    (app,) = inv.of(SparkApp)
    auth = app.get("spark.authenticate")
    assert auth is not None and auth.location.line == 14 and auth.exposed
    assert app.on_kubernetes


def test_spark_submit_in_sh_c_script(tmp_path: Path) -> None:
    write(
        tmp_path,
        "job.yaml",
        """apiVersion: batch/v1
kind: Job
metadata: {name: submit}
spec:
  template:
    spec:
      containers:
      - name: submit
        command: ["sh", "-c"]
        args:
        - spark-submit --master k8s://https://api --conf spark.io.encryption.enabled=true a.py
""",
    )
    (app,) = inventory_of(tmp_path).of(SparkApp)
    setting = app.get("spark.io.encryption.enabled")
    assert setting is not None and setting.location.line == 11


def test_encryption_config_and_apiserver_flags() -> None:
    inv = inventory_of(FIXTURES / "encryption-bad.yaml", FIXTURES / "kube-apiserver-good.yaml")
    (config,) = inv.of(EncryptionConfig)
    assert [p.name for p in config.resources[1].providers] == ["identity", "aescbc"]
    (api,) = inv.of(ApiServer)
    assert api.flags["authorization-mode"].value == "Node,RBAC"
    assert api.flags["authorization-mode"].location.line == 15


def test_spark_cluster_conf_and_pods(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cluster.yaml",
        """apiVersion: spark.apache.org/v1
kind: SparkCluster
metadata: {name: prod, namespace: spark}
spec:
  runtimeVersions: {sparkVersion: 4.0.0}
  sparkConf:
    spark.authenticate: "true"
  workerSpec:
    statefulSetSpec:
      template:
        spec:
          containers:
          - name: worker
            env: [{name: SPARK_WORKER_PASSWORD, value: worker-pw}]
""",
    )
    inv = inventory_of(tmp_path)
    (app,) = inv.of(SparkApp)
    assert app.spark_version == "4.0.0"
    assert app.get("spark.master") is None  # a standalone master, not k8s://
    (pod,) = inv.of(PodSpec)
    assert pod.spark_role == "worker"
    assert pod.containers[0].env[0].line == 14


@pytest.mark.parametrize(
    "text",
    [
        "kind: D\nspec:\n  replicas: {{ .Values.replicas }}\n",
        "kind: D\nmetadata:\n  name: x-{{ .Release.Name }}\n",
        "{{- if .Values.enabled }}\nkind: D\n{{- end }}\n",
        'kind: D\nspec:\n  {{- include "x" . | nindent 2 }}\n',
    ],
)
def test_helm_actions_where_yaml_sees_structure_are_refused(text: str) -> None:
    with pytest.raises(SourceError, match="helm template"):
        list(load_documents(text))


def test_quoted_go_templates_are_values() -> None:
    text = 'kind: PrometheusRule\nspec:\n  summary: "{{ $labels.instance }} is down"\n'
    (doc,) = load_documents(text)
    spec = doc.map("spec")
    assert spec is not None and spec["summary"] == "{{ $labels.instance }} is down"


SPARK_CONNECT = """apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: connect, namespace: analytics}
spec:
  sparkVersion: 4.0.1
  image: spark:4.0.1
  sparkConf:
    spark.authenticate: "true"
  server:
    cores: 2
    template:
      spec:
        serviceAccountName: connect-server
        containers:
        - name: spark-kubernetes-driver
          env: [{name: TOKEN, value: literal-token-value}]
  executor:
    instances: 3
    template:
      spec:
        containers:
        - name: spark-kubernetes-executor
"""


def test_spark_connect_server_is_the_driver(tmp_path: Path) -> None:
    write(tmp_path, "connect.yaml", SPARK_CONNECT)
    inv = inventory_of(tmp_path)
    (app,) = inv.of(SparkApp)
    assert app.spark_version == "4.0.1" and app.on_kubernetes
    assert app.value("spark.authenticate") == "true"
    driver_sa = app.get("spark.kubernetes.authenticate.driver.serviceAccountName")
    assert driver_sa is not None and driver_sa.value == "connect-server"
    assert driver_sa.location.line == 13
    assert app.value("spark.driver.cores") == "2"
    assert app.value("spark.executor.instances") == "3"
    assert app.value("spark.kubernetes.namespace") == "analytics"
    pods = {pod.spark_role: pod for pod in inv.of(PodSpec)}
    assert set(pods) == {"driver", "executor"}
    assert pods["driver"].service_account == "connect-server"
    assert pods["driver"].containers[0].env[0].line == 16


def test_the_resource_field_wins_over_the_pod_templates_account(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.yaml",
        """apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: job, namespace: jobs}
spec:
  driver:
    serviceAccount: spark-driver
    template:
      spec:
        serviceAccountName: from-template
        containers: [{name: spark-kubernetes-driver}]
""",
    )
    (app,) = inventory_of(tmp_path).of(SparkApp)
    assert app.value("spark.kubernetes.authenticate.driver.serviceAccountName") == "spark-driver"


_DUPLICATED = """apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: jobs
spec:
  automountServiceAccountToken: {first}
  containers:
  - name: api
    image: api:1
  automountServiceAccountToken: {last}
"""


@pytest.mark.parametrize(
    ("first", "last", "status"), [("false", "true", "fail"), ("true", "false", "pass")]
)
def test_a_duplicate_key_is_reported_and_its_last_value_judged(
    tmp_path: Path, first: str, last: str, status: str
) -> None:
    # A reader sees the first value; the API server keeps the last ("will only persist the
    # last of any duplicate fields", fieldValidation in the Kubernetes API reference).
    pod = write(tmp_path, "pod.yaml", _DUPLICATED.format(first=first, last=last))
    result = run_cli("audit", str(pod), "--format", "json", "--fail-on", "critical")
    assert result.json()["errors"] == [
        {
            "path": str(pod),
            "reason": "line 11: duplicate key 'automountServiceAccountToken': its last value "
            "is judged, the one the API server keeps (kubectl --validate=strict refuses the file)",
        }
    ]
    (finding,) = findings_of(result, "K8S-006")
    assert (finding["status"], finding["location"]["line"]) == (status, 11)


def test_merge_keys_and_aliases_are_not_duplicates() -> None:
    duplicates: set[tuple[int, str]] = set()
    text = "base: &b {a: 1}\nkind: X\napiVersion: v1\nm:\n  <<: *b\n  a: 2\nn: *b\no: *b\n"
    (doc,) = load_documents(text, duplicates)
    assert doc["m"]["a"] == "2" and duplicates == set()
    list(load_documents("kind: X\nkind: Y\nx: {a: 1, a: 2}\n", duplicates))
    assert duplicates == {(2, "kind"), (3, "a")}


def _holds_tree(value: object, seen: set[int]) -> bool:
    if id(value) in seen or isinstance(value, str | int | float | bool | type(None)):
        return False
    seen.add(id(value))
    if isinstance(value, YMap | YList):
        return True
    if isinstance(value, dict):
        return any(_holds_tree(k, seen) or _holds_tree(v, seen) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_tree(v, seen) for v in value)
    if is_dataclass(value):
        return any(_holds_tree(getattr(value, f.name), seen) for f in fields(value))
    return False


def test_facts_keep_no_parse_tree() -> None:
    """Facts hold what rules read, not the documents' YMap trees: a tree per object would stay
    resident for the whole audit and be copied back from every worker process."""
    inv = inventory_of(FIXTURES, ROOT / "tests" / "fixtures" / "tee", ROOT / "examples")
    facts = [f for kind in inv.kinds() for f in inv.of(kind)]
    assert any(isinstance(f, PodSpec) and f.node.runtime_class for f in facts)
    assert any(isinstance(f, KubeConfigMap) and f.binary_keys for f in facts)
    assert [type(f).__name__ for f in facts if _holds_tree(f, set())] == []
