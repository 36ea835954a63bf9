"""A DaemonSet that runs `triplock probe` on every node, with least privilege.

Each pod's init container probes the node through read-only host paths and prints one JSON
line; a pause container keeps the pod (and its log) around. Collect the reports with
`kubectl logs -n NS -l app.kubernetes.io/name=triplock-probe -c probe --tail=-1 > probes.jsonl`
and audit them: `triplock audit probes.jsonl`. No privileged mode, no capabilities, no host
namespaces, and a ServiceAccount that has no token and no RBAC binding.
"""

from __future__ import annotations

from typing import Any

NAME = "triplock-probe"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

# Host paths the probe reads, each mounted read-only under /host. `type` makes the kubelet check
# the path; the AESM directory is absent on nodes without SGX, so the kubelet creates it empty.
_HOST_PATHS = (
    ("cpuinfo", "/proc/cpuinfo", "File"),
    ("osrelease", "/proc/sys/kernel/osrelease", "File"),
    ("dev", "/dev", "Directory"),
    ("aesmd", "/var/run/aesmd", "DirectoryOrCreate"),
)


def manifests(image: str, namespace: str = NAME) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "triplock"}
    restricted = {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    resources = {
        "requests": {"cpu": "10m", "memory": "64Mi"},
        "limits": {"cpu": "200m", "memory": "128Mi"},
    }
    probe = {
        "name": "probe",
        "image": image,
        "command": ["triplock", "probe", "--root", "/host", "--format", "jsonl"],
        "env": [
            {
                "name": "TRIPLOCK_NODE_NAME",
                "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
            },
        ],
        "securityContext": restricted,
        "resources": resources,
        "volumeMounts": [
            {"name": name, "mountPath": f"/host{path}", "readOnly": True}
            for name, path, _ in _HOST_PATHS
        ],
    }
    pause = {
        "name": "pause",
        "image": PAUSE_IMAGE,
        "securityContext": restricted,
        "resources": resources,
    }
    pod_spec = {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        # Every node, including tainted SGX/TDX pools.
        "tolerations": [{"operator": "Exists"}],
        "initContainers": [probe],
        "containers": [pause],
        "volumes": [
            {"name": name, "hostPath": {"path": path, "type": kind}}
            for name, path, kind in _HOST_PATHS
        ],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            # Read-only hostPath volumes are the one thing Pod Security "baseline" forbids
            # here: the pods meet "restricted" otherwise (see docs/tee.md).
            "metadata": {"name": namespace, "labels": {"app.kubernetes.io/part-of": "triplock"}},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        },
    ]


def render(image: str, namespace: str = NAME) -> str:
    import yaml

    return "---\n".join(
        yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
        for doc in manifests(image, namespace)
    )
