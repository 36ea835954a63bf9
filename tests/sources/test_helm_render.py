"""`--helm`: a chart rendered by helm, its manifests mapped back to the template files and lines.

helm cannot be installed on this machine (no Debian package, no PyPI wheel of the binary), so
these tests replay recorded output: tests/fixtures/helm/spark-chart.rendered.txt is written by
hand in the exact format `helm template` prints, and a stand-in `helm` on PATH prints it. The
mapping (`# Source:` comments, line alignment) is what is under test; rendering is Helm's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli
from triplock.sources.helm_render import layout, rendered_docs

CHART = ROOT / "tests" / "fixtures" / "helm" / "spark-chart"
RECORDED = ROOT / "tests" / "fixtures" / "helm" / "spark-chart.rendered.txt"


@pytest.fixture
def recorded_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `helm` on PATH that prints the recorded rendering (a replay, not Helm)."""
    helm = tmp_path / "bin" / "helm"
    helm.parent.mkdir()
    helm.write_text(f'#!/bin/sh\n[ "$1" = template ] || exit 3\ncat "{RECORDED}"\n')
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helm.parent}{os.pathsep}{os.environ['PATH']}")
    return helm


def test_rendered_lines_land_on_their_template_lines() -> None:
    template = ["kind: Pod", "metadata:", "  name: {{ .Release.Name }}", "spec: {}"]
    rendered = ["kind: Pod", "metadata:", "  name: triplock", "spec: {}"]
    assert layout(rendered, template).split("\n")[:4] == rendered
    expanded = ["kind: Pod", "metadata:", "  labels:", "    a: b", "  name: x", "spec: {}"]
    text = layout(expanded, ["kind: Pod", "", "metadata:", "  labels: {{ toYaml . }}", "spec: {}"])
    assert text.split("\n").index("metadata:") == 2  # the template's line 3
    assert text.split("\n").index("spec: {}") == 6  # pushed down by the expansion


def test_source_comments_name_the_template_files() -> None:
    (doc,) = rendered_docs(RECORDED.read_text(), str(CHART))
    assert doc.template == str(CHART / "templates" / "statefulset-master.yaml")


def test_helm_flag_audits_the_rendering_at_template_lines(recorded_helm: Path) -> None:
    result = run_cli("audit", "--helm", str(CHART), "--format", "json")
    assert not result.json()["errors"]
    (fail,) = findings_of(result, "K8S-001", "fail")
    assert fail["location"]["path"].endswith("templates/statefulset-master.yaml")
    assert fail["location"]["line"] == 35  # SPARK_METRICS_TOKEN's value in the template
    # The rendered keystore password is the empty default: no longer templated, so no unknown.
    assert not findings_of(result, "K8S-001", "unknown")
    assert findings_of(result, "HELM-001", "fail")  # values.yaml is still judged


def test_helm_flag_without_helm_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_cli("audit", "--helm", str(CHART), "--format", "json")
    assert result.code == 2
    assert "--helm needs the helm command" in result.err


def test_failing_helm_is_an_error_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helm = tmp_path / "helm"
    helm.write_text(
        "#!/bin/sh\necho 'Error: template: spark/templates/x.yaml:3: boom' >&2\nexit 1\n"
    )
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = run_cli("audit", "--helm", str(CHART), "--format", "json")
    (error,) = result.json()["errors"]
    assert "helm template failed: Error: template" in error["reason"]


def test_a_template_that_is_a_fifo_is_not_read(tmp_path: Path) -> None:
    # The file a `# Source:` line names is a reference like any other: a FIFO there would
    # block open() for good, so it is refused and the document keeps helm's own lines.
    import threading

    (tmp_path / "templates").mkdir()
    os.mkfifo(tmp_path / "templates" / "pod.yaml")
    output = "---\n# Source: chart/templates/pod.yaml\nkind: Pod\nmetadata:\n  name: p\n"
    docs: list[object] = []
    reader = threading.Thread(target=lambda: docs.extend(rendered_docs(output, str(tmp_path))))
    reader.daemon = True
    reader.start()
    reader.join(timeout=60)
    assert len(docs) == 1, "rendered_docs blocked on the FIFO"
