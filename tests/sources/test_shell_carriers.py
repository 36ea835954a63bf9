"""Shell that carries other inputs: manifests in here-documents fed to kubectl, read with
their script lines; shell in a container's `sh -c` read by the shell source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.kube import KubeBinding, KubeRole, PodSpec
from triplock.facts.shell import ShellCommand
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.sources.shell_heredoc import manifest_heredocs

FIXTURES = ROOT / "tests" / "fixtures" / "shell-carriers"


def inventory_of(path: Path) -> Inventory:
    inv = Inventory()
    discover([str(path)], all_sources(), inv)
    return inv


@pytest.mark.parametrize(
    "line",
    [
        "cat <<EOF | kubectl apply -f -",
        "kubectl apply -f - <<EOF",
        "kubectl -n x create --filename=- <<'EOF'",
        'oc replace -f - <<"EOF"',
    ],
)
def test_kubectl_heredocs_are_found(line: str) -> None:
    (doc,) = manifest_heredocs(f"#!/bin/sh\n{line}\nkind: Pod\nEOF\necho\n")
    assert doc.first_line == 3 and doc.body == "kind: Pod\n"


@pytest.mark.parametrize(
    "line", ["cat <<EOF > pod.yaml", "kubectl apply -f pod.yaml <<EOF", "kubectl get pods <<EOF"]
)
def test_other_heredocs_are_not_manifests(line: str) -> None:
    assert not list(manifest_heredocs(f"{line}\nkind: Pod\nEOF\n"))


def test_heredoc_manifests_are_objects_with_script_lines() -> None:
    inv = inventory_of(FIXTURES)
    assert not inv.errors
    (role,) = inv.of(KubeRole)
    assert role.ref.path.endswith("setup-spark-k8s.sh") and role.ref.line == 14
    (binding,) = inv.of(KubeBinding)
    assert binding.subjects[0].name == "spark"
    (pod,) = inv.of(PodSpec)
    assert pod.service_account == "spark" and pod.service_account_line == 43


def test_container_shell_is_read_by_the_shell_source() -> None:
    inv = inventory_of(FIXTURES)
    curls = [c for c in inv.of(ShellCommand) if c.program == "curl"]
    assert [c.location.line for c in curls] == [51]
    assert curls[0].location.object == "Pod/fetch-data"


def test_rules_judge_what_the_script_carries() -> None:
    result = run_cli("audit", str(FIXTURES), "--format", "json")
    assert [f["location"]["line"] for f in findings_of(result, "SHELL-001", "fail")] == [51]
    reads = findings_of(result, "K8S-102", "fail")
    assert reads and all(f["location"]["path"].endswith(".sh") for f in reads)


def test_bad_heredoc_manifest_is_an_error_and_the_script_is_still_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        "x.sh",
        "#!/bin/sh\nkubectl apply -f - <<EOF\nkind: Pod\nspec: [\nEOF\ncurl -k https://a\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (error,) = result.json()["errors"]
    assert "here-document at line 3" in error["reason"]
    assert findings_of(result, "SHELL-001", "fail")


def test_a_long_line_of_client_names_is_read_in_one_pass() -> None:
    line = "oc " * 200_000 + "<<EOF"
    assert not list(manifest_heredocs(f"{line}\nkind: Pod\nEOF\n"))
