"""Files embedded in a ConfigMap: edited by their own format's editor inside the block scalar,
every other line (and its indentation) kept, secrets masked by that editor."""

from __future__ import annotations

import yaml

from triplock.fix.interface import Edit
from triplock.fix.yaml_kube import EDITOR
from triplock.model import Finding, FixAction, Location, Severity, Status
from triplock.rules.registry import all_rules

_RULE = all_rules()[0].meta

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  spark-defaults.conf: |
    # Spark defaults
    spark.master    k8s://https://kubernetes.default.svc:443
    spark.ssl.keyStorePassword    changeit

    spark.authenticate    false
  core-site.xml: |
    <configuration>
      <property><name>fs.s3a.secret.key</name><value>wJalrXUtnFEMI/K7MDENG</value></property>
      <property><name>fs.defaultFS</name><value>hdfs://nn:8020</value></property>
    </configuration>
"""


def _edit(action: FixAction, key: str, line: int, value: str | None = None) -> Edit:
    where = Location("cm.yaml", line, object="ConfigMap/conf")
    return Edit(Finding(_RULE, Status.FAIL, "m", where, Severity.HIGH), action, key, value)


def test_embedded_conf_and_xml_are_edited_by_their_own_editors() -> None:
    edits = [
        _edit(FixAction.UNSET, "spark.ssl.keyStorePassword", 9),
        _edit(FixAction.SET, "spark.authenticate", 11, "true"),
        _edit(FixAction.SET, "spark.io.encryption.enabled", 8, "true"),
        _edit(FixAction.UNSET, "fs.s3a.secret.key", 14),
    ]
    edited = EDITOR.apply(CONFIGMAP, "kubernetes", edits)
    assert not edited.left
    assert edited.text == (
        CONFIGMAP.replace("    spark.ssl.keyStorePassword    changeit\n", "")
        .replace(
            "    spark.authenticate    false\n",
            "    spark.authenticate    true\n    spark.io.encryption.enabled true\n",
        )
        .replace(
            "      <property><name>fs.s3a.secret.key</name><value>wJalrXUtnFEMI/K7MDENG</value>"
            "</property>\n",
            "",
        )
    )
    data = yaml.safe_load(edited.text)["data"]
    assert "spark.authenticate    true" in data["spark-defaults.conf"]
    again = EDITOR.apply(edited.text, "kubernetes", edits)
    assert again.text == edited.text and not again.changes


def test_an_embedded_secret_is_masked_on_its_line() -> None:
    shown = EDITOR.masked(CONFIGMAP)
    assert shown.count("\n") == CONFIGMAP.count("\n")
    assert "changeit" not in shown and "wJalrXUtnFEMI" not in shown
    assert "    spark.master    k8s://https://kubernetes.default.svc:443\n" in shown


def test_a_block_it_cannot_place_is_left() -> None:
    edited = EDITOR.apply(
        CONFIGMAP, "kubernetes", [_edit(FixAction.UNSET, "spark.ssl.keyStorePassword", 0)]
    )
    assert edited.text == CONFIGMAP and "which file" in edited.left[0][1]
