"""Control-plane static pods (kube-apiserver, etcd, kube-controller-manager, kube-scheduler):
judged as kubeadm and kube-bench expect, not as workloads."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.kube import StaticPodManifest
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._kube import CIS
from triplock.rules.registry import Context, Outcome, fail, passed, rule

# CIS 1.1.1 / 1.1.3 / 1.1.5 / 1.1.7: the static pod specs are 600 or more restrictive.
_MAX_MODE = 0o600
_CIS_ITEM = {
    "kube-apiserver": "1.1.1",
    "kube-controller-manager": "1.1.3",
    "kube-scheduler": "1.1.5",
    "etcd": "1.1.7",
}


@rule(
    id="K8S-212",
    slug="k8s-static-pod-manifest-mode",
    title="A control-plane static pod manifest is writable or readable beyond root",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=StaticPodManifest,
    rationale="The kubelet runs whatever the static pod manifests in /etc/kubernetes/manifests "
    "say, with the node's PKI mounted: a user who can change one runs code as the control "
    "plane, and one who can read it learns its flags and paths (kube-bench expects 600).",
    remediation="chmod 600 the manifest (owned by root:root).",
    references=(f"{CIS} 1.1.1, 1.1.3, 1.1.5, 1.1.7",),
)
def static_pod_mode(manifest: StaticPodManifest, ctx: Context) -> Iterator[Outcome]:
    where = manifest.ref.at()
    shown = Evidence.of("mode", f"{manifest.mode:o}")
    item = _CIS_ITEM.get(manifest.component, "1.1")
    if manifest.mode & ~_MAX_MODE:
        yield fail(
            f"{manifest.component} manifest has mode {manifest.mode:o} (CIS {item} expects "
            "600 or stricter)",
            where,
            shown,
            fix=Fix(FixAction.CHMOD, manifest.ref.path, "600"),
        )
    else:
        yield passed(f"{manifest.component} manifest has mode {manifest.mode:o}", where, shown)
