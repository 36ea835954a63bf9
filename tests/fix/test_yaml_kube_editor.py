"""The YAML editor: the edit at the node's exact place and every other byte kept (multi-document
files, comments, anchors, flow style, quoting, CRLF), idempotence, and refusals that leave the
file untouched."""

from __future__ import annotations

import pytest
import yaml

from triplock.fix.interface import Edit, EditorError
from triplock.fix.yaml_kube import EDITOR
from triplock.model import Finding, FixAction, Location, Severity, Status
from triplock.rules.registry import all_rules

_RULE = all_rules()[0].meta

MULTI = """\
# workloads, with comments everywhere
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the web tier
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: web, tier: "front"}
    spec:
      # pod spec
      containers:
        - name: app
          image: 'nginx:1.27'
          env:
            - name: MODE
              value: "SIM"   # simulation
      volumes:
        - name: data
          emptyDir: {}

# trailing comment of the pod spec
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: etl
  namespace: shop
spec:
  sparkConf:
    spark.authenticate: "false"
    'spark.ui.enabled': true
  hadoopConf:
    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  driver:
    cores: 1
"""


def _edit(
    action: FixAction, key: str, value: str | None = None, obj: str | None = None, line: int = 1
) -> Edit:
    finding = Finding(_RULE, Status.FAIL, "m", Location("x.yaml", line, object=obj), Severity.HIGH)
    return Edit(finding, action, key, value)


def _set(key: str, value: str, obj: str | None = None, line: int = 1) -> Edit:
    return _edit(FixAction.SET, key, value, obj, line)


def _unset(key: str, obj: str | None = None) -> Edit:
    return _edit(FixAction.UNSET, key, None, obj)


def _apply(text: str, *edits: Edit, kind: str = "kubernetes") -> str:
    edited = EDITOR.apply(text, kind, list(edits))
    assert not edited.left, edited.left
    again = EDITOR.apply(edited.text, kind, list(edits))
    assert again.text == edited.text and not again.changes  # idempotent
    return edited.text


def test_pod_spec_field_is_inserted_with_its_siblings_indentation() -> None:
    got = _apply(MULTI, _set("automountServiceAccountToken", "false", "Deployment/shop/web"))
    want = MULTI.replace(
        "          emptyDir: {}\n",
        "          emptyDir: {}\n      automountServiceAccountToken: false\n",
    )
    assert got == want
    docs = list(yaml.safe_load_all(got))
    assert docs[0]["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_spark_conf_keys_are_strings_set_in_place_and_appended() -> None:
    got = _apply(
        MULTI,
        _set("spark.authenticate", "true", "SparkApplication/shop/etl"),
        _set("spark.io.encryption.keySizeBits", "256", "SparkApplication/shop/etl"),
        _set("spark.ui.enabled", "false", "SparkApplication/shop/etl"),
    )
    want = MULTI.replace('spark.authenticate: "false"', 'spark.authenticate: "true"').replace(
        "    'spark.ui.enabled': true\n",
        '    \'spark.ui.enabled\': "false"\n    spark.io.encryption.keySizeBits: "256"\n',
    )
    assert got == want
    conf = list(yaml.safe_load_all(got))[1]["spec"]["sparkConf"]
    assert conf == {
        "spark.authenticate": "true",
        "spark.ui.enabled": "false",
        "spark.io.encryption.keySizeBits": "256",
    }


def test_unsetting_the_last_key_removes_the_emptied_mapping() -> None:
    got = _apply(MULTI, _unset("fs.s3a.secret.key", "SparkApplication/shop/etl"))
    assert got == MULTI.replace(
        "  hadoopConf:\n    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", ""
    )


def test_unsetting_every_key_of_a_mapping_at_once_removes_it() -> None:
    text = MULTI.replace(
        "    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "    fs.s3a.access.key: AKIAIOSFODNN7EXAMPLE\n",
    )
    obj = "SparkApplication/shop/etl"
    got = _apply(text, _unset("fs.s3a.secret.key", obj), _unset("fs.s3a.access.key", obj))
    assert got == MULTI.replace(
        "  hadoopConf:\n    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", ""
    )


def test_a_hadoop_key_written_in_spark_conf_is_edited_there() -> None:
    text = MULTI.replace(
        '    spark.authenticate: "false"\n',
        '    spark.authenticate: "false"\n'
        "    spark.hadoop.fs.s3a.access.key: AKIAIOSFODNN7EXAMPLE\n",
    )
    got = _apply(text, _unset("fs.s3a.access.key", "SparkApplication/shop/etl"))
    assert got == MULTI


def test_a_hadoop_key_goes_to_hadoop_conf_and_a_missing_mapping_is_created() -> None:
    text = MULTI.replace(
        "  hadoopConf:\n    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", ""
    )
    got = _apply(
        text, _set("fs.s3a.encryption.algorithm", "SSE-KMS", "fs.s3a.encryption.algorithm")
    )
    assert got == text + "  hadoopConf:\n    fs.s3a.encryption.algorithm: SSE-KMS\n"


def test_a_named_list_item_is_added_in_the_list_style_or_with_its_list() -> None:
    obj = "Deployment/shop/web"
    got = _apply(
        MULTI,
        _set("volumes[enc].hostPath.path", "/etc/kubernetes/enc", obj),
        _set("volumes[enc].hostPath.type", "DirectoryOrCreate", obj),
        _set("containers[app].volumeMounts[enc].mountPath", "/etc/kubernetes/enc", obj),
        _set("containers[app].volumeMounts[enc].readOnly", "true", obj),
    )
    want = MULTI.replace(
        '              value: "SIM"   # simulation\n',
        '              value: "SIM"   # simulation\n'
        "          volumeMounts:\n"
        "            - name: enc\n"
        "              mountPath: /etc/kubernetes/enc\n"
        "              readOnly: true\n",
    ).replace(
        "          emptyDir: {}\n",
        "          emptyDir: {}\n"
        "        - name: enc\n"
        "          hostPath:\n"
        "            path: /etc/kubernetes/enc\n"
        "            type: DirectoryOrCreate\n",
    )
    assert got == want


def test_list_items_are_picked_by_name_and_quoting_is_kept() -> None:
    got = _apply(
        MULTI,
        _set("containers[app].env[MODE].value", "HW", "Deployment/shop/web"),
        kind="kubernetes",
    )
    assert got == MULTI.replace('value: "SIM"   # simulation', 'value: "HW"   # simulation')


def test_a_value_inside_a_flow_mapping_is_replaced_exactly() -> None:
    got = _apply(MULTI, _set("spec.template.metadata.labels.tier", "back", "Deployment/shop/web"))
    assert got == MULTI.replace('tier: "front"}', 'tier: "back"}')


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (_set("spec.template.metadata.labels.team", "a", "Deployment/shop/web"), "flow style"),
        (_unset("spec.template.metadata.labels.app", "Deployment/shop/web"), "flow style"),
        (_unset("containers[app].name", "Deployment/shop/web"), "list dash"),
        (_set("containers[5].image", "x", "Deployment/shop/web"), "no item 5"),
        (_set("spec.template.metadata.labels[x].y", "x", "Deployment/shop/web"), "not a list"),
        (_set("spark.authenticate", "true", "SparkApplication/other/etl"), "holds no"),
        (_set("metadata.name", "x", None, line=99), "which of"),
        (_set("RANDOM_ENV", "true", "Deployment/shop/web"), "names no field"),
    ],
)
def test_what_cannot_be_edited_exactly_is_left_with_why(edit: Edit, why: str) -> None:
    edited = EDITOR.apply(MULTI, "kubernetes", [edit])
    assert edited.text == MULTI
    assert [(e, w) for e, w in edited.left if why in w] == [(edit, edited.left[0][1])]


ANCHORS = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - &base
      name: a
      image: x
      securityContext: {privileged: true}
    - name: b
      image: y
      securityContext: &sc
        privileged: true
    - name: c
      image: z
      securityContext: *sc
  nodeSelector: &own
    disk: ssd
  tolerations:
    - <<: *base
      key: k
"""


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("containers[b].securityContext.privileged", "anchor &sc"),
        ("containers[c].securityContext.privileged", "alias (*sc)"),
        ("containers[a].image", "anchor &base"),
        ("tolerations[0].operator", "merge key"),
    ],
)
def test_a_field_shared_through_an_anchor_is_left(key: str, why: str) -> None:
    edited = EDITOR.apply(ANCHORS, "kubernetes", [_set(key, "false", "Pod/p")])
    assert edited.text == ANCHORS
    assert len(edited.left) == 1 and why in edited.left[0][1]


def test_emptying_a_list_item_is_left_not_the_list_removed() -> None:
    text = "kind: Pod\nmetadata: {name: p}\nspec:\n  tolerations:\n  - effect:\n      x: 1\n"
    edited = EDITOR.apply(text, "kubernetes", [_unset("tolerations[0].effect.x", "Pod/p")])
    assert edited.text == text and "empty list item" in edited.left[0][1]


def test_an_anchor_no_alias_uses_does_not_block_edits_beside_it() -> None:
    got = _apply(ANCHORS, _set("nodeSelector.disk", "nvme", "Pod/p"))
    assert got == ANCHORS.replace("disk: ssd", "disk: nvme")


def test_flags_of_a_static_pod_are_replaced_or_appended_in_the_list_style() -> None:
    text = (
        "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: kube-apiserver\r\n"
        "  namespace: kube-system\r\nspec:\r\n  containers:\r\n  - name: kube-apiserver\r\n"
        "    command:\r\n    - kube-apiserver\r\n    - --authorization-mode=AlwaysAllow\r\n"
        "    - '--audit-log-path=/x'  # audit\r\n    image: k8s\r\n"
    )
    obj = "Pod/kube-system/kube-apiserver"
    got = _apply(
        text,
        _set("--authorization-mode", "Node,RBAC", obj),
        _set("--encryption-provider-config", "/etc/kubernetes/enc/enc.yaml", obj),
    )
    assert got == text.replace("AlwaysAllow", "Node,RBAC").replace(
        "    - '--audit-log-path=/x'  # audit\r\n",
        "    - '--audit-log-path=/x'  # audit\r\n"
        "    - '--encryption-provider-config=/etc/kubernetes/enc/enc.yaml'\r\n",
    )
    removed = _apply(got, _unset("--authorization-mode", obj))
    assert "authorization-mode" not in removed and removed.count("\r\n") == got.count("\r\n") - 1


def test_types_follow_the_field_and_odd_texts_stay_yaml() -> None:
    text = (
        "kind: Pod\nmetadata:\n  name: p\nspec:\n"
        '  automountServiceAccountToken: "true"\n  hostname:\n  subdomain: x'
    )
    got = _apply(
        text,
        _set("automountServiceAccountToken", "false", "Pod/p"),
        _set("hostname", "h", "Pod/p"),
        _set("spec.nodeName", "a: b", "Pod/p"),
    )
    assert got == (
        "kind: Pod\nmetadata:\n  name: p\nspec:\n"
        '  automountServiceAccountToken: false\n  hostname: h\n  subdomain: x\n  nodeName: "a: b"\n'
    )


def test_list_items_and_a_scheduled_application_are_objects_too() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: sparkoperator.k8s.io/v1beta2\n  kind: ScheduledSparkApplication\n"
        "  metadata: {name: nightly}\n  spec:\n    schedule: '@daily'\n    template:\n"
        "      sparkConf:\n        spark.authenticate: 'false'\n"
        "- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers: []\n"
    )
    got = _apply(
        text,
        _set("spark.authenticate", "true", "ScheduledSparkApplication/nightly"),
        _set("automountServiceAccountToken", "false", "Pod/p"),
    )
    assert got == text.replace("'false'", "'true'") + "    automountServiceAccountToken: false\n"


def test_a_flag_goes_to_the_only_command_list_when_none_has_flags() -> None:
    text = (
        "kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n"
        "    command:\n    - kube-apiserver\n"
    )
    got = _apply(text, _set("--authorization-mode", "Node,RBAC", "Pod/a"))
    assert got == text + "    - --authorization-mode=Node,RBAC\n"


def test_a_flag_given_twice_is_left() -> None:
    text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    command: [x, --v=1, --v=2]\n"
    edited = EDITOR.apply(text, "kubernetes", [_set("--v", "3", "Pod/<unnamed>")])
    assert edited.text == text and "2 times" in edited.left[0][1]


def test_helm_values_take_the_fix_value_as_yaml() -> None:
    text = "# chart defaults\nauth:\n  rootPassword: s3cr3t-Default  # change me\n  tls: false\n"
    got = _apply(
        text, _set("auth.rootPassword", '""'), _set("auth.tls", "true"), kind="helm-values"
    )
    assert got == '# chart defaults\nauth:\n  rootPassword: ""  # change me\n  tls: true\n'


def test_change_lines_refer_to_the_text_before_and_after() -> None:
    obj = "SparkApplication/shop/etl"
    text = MULTI.replace(
        "    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "    fs.s3a.secret.key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n    fs.s3a.x: y\n",
    )
    edits = [
        _unset("fs.s3a.secret.key", obj),
        _unset("fs.s3a.x", obj),
        _set("spark.authenticate", "true", obj),
        _set("spark.io.encryption.enabled", "true", obj),
    ]
    edited = EDITOR.apply(text, "kubernetes", edits)
    before, after = text.splitlines(), edited.text.splitlines()
    lines = {c.edit.key: (c.before, c.after) for c in edited.changes}
    assert before[lines["fs.s3a.secret.key"][0] - 1].startswith("    fs.s3a.secret.key:")
    assert before[lines["fs.s3a.x"][0] - 1] == "  hadoopConf:"  # the last key takes its parent
    assert lines["fs.s3a.x"][1] is None and lines["fs.s3a.secret.key"][1] is None
    b, a = lines["spark.authenticate"]
    assert before[b - 1] == '    spark.authenticate: "false"'
    assert after[a - 1] == '    spark.authenticate: "true"'
    b, a = lines["spark.io.encryption.enabled"]
    assert b is None and after[a - 1] == '    spark.io.encryption.enabled: "true"'


def test_a_file_that_is_not_yaml_is_refused_whole_and_a_helm_template_left() -> None:
    edit = _set("automountServiceAccountToken", "false")
    with pytest.raises(EditorError):
        EDITOR.apply("kind: Pod\nspec: [unclosed\n", "kubernetes", [edit])
    template = "kind: Pod\nspec:\n  replicas: {{ .Values.n }}\n"
    edited = EDITOR.apply(template, "kubernetes", [edit])
    assert edited.text == template and "chart's values" in edited.left[0][1]


def test_masked_hides_secret_values_on_the_same_lines() -> None:
    text = MULTI + (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n"
        "  token: |\n    abc\n    def\n"
    )
    shown = EDITOR.masked(text)
    assert shown.count("\n") == text.count("\n")
    assert "wJalrXUtnFEMI" not in shown and "abc" not in shown and "def" not in shown
    assert "name: s\n" in shown and "nginx:1.27" in shown
    assert EDITOR.masked("a: [\n  b: wJalrXUtnFEMI\n") == "\n\n"
