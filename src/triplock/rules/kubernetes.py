"""Kubernetes workload rules: secrets in pod specs, ConfigMaps and Secret manifests, mounted
cluster or cloud credentials, service account tokens (config-keys.md, Kubernetes table)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from triplock.facts.kube import (
    ApiServer,
    KubeBinding,
    KubeConfigMap,
    KubeSecret,
    PodSpec,
)
from triplock.inventory import is_templated
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._kube import CIS, RBAC_GOOD_PRACTICES, SECRETS_GOOD_PRACTICES
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.secret_classifier import literal_secret, secret_key
from triplock.sources.kube_objects import POD_SPEC_PATHS
from triplock.sources.kube_rbac import access_of, service_accounts


def is_workload(pod: PodSpec) -> bool:
    """Not a control-plane static pod: those mount the node's PKI and run without a service
    account by design, and are judged by the control-plane rules instead."""
    return pod.control_plane is None


_VOLUME_FIX = "mount the value from a Secret volume and read it as a file"


@rule(
    id="K8S-001",
    slug="k8s-env-literal-secret",
    title="A secret is written literally in a container's environment",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="A literal env value is part of the pod spec: anyone who can get the pod, its "
    "owner workload or the manifest's repository reads it, and it shows in `kubectl describe`.",
    remediation="Put the value in a Secret and mount it as a volume (or, second best, "
    "reference it with valueFrom.secretKeyRef).",
    references=(SECRETS_GOOD_PRACTICES, f"{CIS} 5.4.1"),
)
def env_literal_secret(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    found = False
    for c in pod.containers:
        for e in c.env:
            if e.value is None:
                continue
            verdict = literal_secret(e.name, e.value)
            if verdict is not None:
                found = True
                yield fail(
                    f"container {c.name}: env {e.name} holds a literal secret "
                    f"({verdict.describe()})",
                    pod.at(e.line),
                    Evidence.of(e.name, e.value),
                    fix=Fix(FixAction.MANUAL, f"move env {e.name} into a Secret and {_VOLUME_FIX}"),
                )
            elif secret_key(e.name) and is_templated(e.value):
                found = True
                yield unknown(
                    f"container {c.name}: env {e.name} is templated; cannot tell whether a "
                    "literal secret ends up in the pod spec",
                    pod.at(e.line),
                    Evidence.of(e.name, e.value),
                )
    if not found and pod.containers:
        yield passed("no literal secret in container environments", pod.at())


@rule(
    id="K8S-002",
    slug="k8s-secret-as-env",
    title="A Secret reaches a container as an environment variable, not a volume",
    control="k8s.secrets",
    severity=Severity.LOW,
    target=PodSpec,
    rationale="Environment variables leak into child processes, crash dumps, logs and "
    "/proc/<pid>/environ; Secret volumes are tmpfs files that can be rotated and "
    "permission-restricted (CIS 5.4.1 prefers secrets as files).",
    remediation="Mount the Secret as a volume and point the application at the file.",
    references=(SECRETS_GOOD_PRACTICES, f"{CIS} 5.4.1"),
)
def secret_as_env(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    found = False
    for c in pod.containers:
        for e in c.env:
            if e.secret_ref is not None:
                found = True
                yield fail(
                    f"container {c.name}: env {e.name} comes from Secret {e.secret_ref[0]} "
                    "(secretKeyRef); prefer a Secret volume",
                    pod.at(e.line),
                    fix=Fix(FixAction.MANUAL, f"replace env {e.name} by a Secret volume"),
                )
        for name, line in c.env_from_secrets:
            found = True
            yield fail(
                f"container {c.name}: envFrom loads every key of Secret {name} into the "
                "environment; prefer a Secret volume",
                pod.at(line),
            )
    if not found and pod.secret_mount_paths():
        yield passed("Secrets reach the containers as volumes", pod.at())


@rule(
    id="K8S-003",
    slug="k8s-configmap-holds-secret",
    title="A ConfigMap holds a secret",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=KubeConfigMap,
    rationale="ConfigMaps give no secrecy: they are not encrypted at rest by the usual "
    "EncryptionConfiguration, are readable by the built-in `view` role and are printed by "
    "`kubectl describe`.",
    remediation="Move the value into a Secret and mount it as a volume; keep only references "
    "(file paths, credential-provider URIs) in the ConfigMap.",
    references=(
        SECRETS_GOOD_PRACTICES,
        "https://kubernetes.io/docs/concepts/configuration/configmap/",
    ),
)
def configmap_holds_secret(cm: KubeConfigMap, ctx: Context) -> Iterator[Outcome]:
    found = False
    for entry in cm.entries:
        if entry.conf_kind is not None:
            continue  # Spark/Hadoop conf inside a ConfigMap: XLAYER-004 judges it
        if entry.embedded_in is None and "\n" in entry.value.strip():
            continue  # a whole embedded file: its entries are judged one by one
        verdict = literal_secret(entry.key, entry.value)
        if verdict is None:
            continue
        found = True
        where = f"{entry.embedded_in}: " if entry.embedded_in else ""
        yield fail(
            f"{where}{entry.key} holds a literal secret ({verdict.describe()})",
            cm.ref.at(entry.line),
            Evidence.of(entry.key, entry.value),
            fix=Fix(FixAction.MANUAL, f"move {entry.key} into a Secret"),
        )
    if not found:
        yield passed("no secret among the ConfigMap's values", cm.ref.at())


@rule(
    id="K8S-004",
    slug="k8s-secret-manifest-committed",
    title="A Secret manifest carries its secret values",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=KubeSecret,
    rationale="A Secret manifest with data or stringData puts the secret in the repository "
    "and every copy of the manifest (base64 is an encoding, not encryption).",
    remediation="Keep Secret values out of manifests: create them from a KMS or vault "
    "(External Secrets, Sealed Secrets, CSI secrets store) or at deploy time.",
    references=(SECRETS_GOOD_PRACTICES,),
)
def secret_manifest_committed(secret: KubeSecret, ctx: Context) -> Iterator[Outcome]:
    literal = False
    for entry in secret.entries:
        label = f"{entry.field}.{entry.key}"
        if not entry.value.strip() or _public_entry(entry.key):
            continue
        literal = True
        if is_templated(entry.value):
            yield unknown(
                f"{label} is templated; its value comes at deploy time",
                secret.ref.at(entry.line),
                Evidence.of(label, None),
            )
            continue
        if entry.field == "data" and not _valid_base64(entry.value):
            yield fail(
                f"{label} is not valid base64: the API server rejects this Secret (and the "
                "value may be a plain-text secret pasted in)",
                secret.ref.at(entry.line),
                Evidence.of(label, None),
                severity=Severity.MEDIUM,
            )
            continue
        yield fail(
            f"{label} commits a secret value to the manifest",
            secret.ref.at(entry.line),
            Evidence.of(label, None),
            # Removing the value would have `kubectl apply` empty the live Secret: manual.
            fix=Fix(
                FixAction.MANUAL,
                f"create Secret {secret.ref.name} at deploy time (External Secrets, Sealed "
                f"Secrets, a vault) and remove {label} from the manifest",
            ),
        )
    if not literal and secret.type != "kubernetes.io/service-account-token":
        yield passed("the Secret manifest carries no literal value", secret.ref.at())


def _no_token_fix(pod: PodSpec) -> Fix:
    """The field in a workload's pod spec; a Spark custom resource has no such field."""
    if pod.owner.kind in POD_SPEC_PATHS:
        return Fix(FixAction.SET, "automountServiceAccountToken", "false", pod.owner.path)
    return Fix(
        FixAction.MANUAL,
        f"set automountServiceAccountToken: false in the executor pod template of "
        f"{pod.owner.label} (spark.kubernetes.executor.podTemplateFile)",
    )


# The public half of a Secret: basic-auth's username, a TLS or CA certificate.
_PUBLIC_ENTRIES = frozenset({"username", "user", "tls.crt", "ca.crt"})


def _public_entry(key: str) -> bool:
    return key.lower() in _PUBLIC_ENTRIES


def _valid_base64(value: str) -> bool:
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# Host paths and env names that hand a workload cluster or cloud credentials.
_CREDENTIAL_PATHS = (
    "/.kube",
    "/etc/kubernetes",
    "/.aws",
    "/.config/gcloud",
    "/.azure",
    "/var/lib/kubelet",
    "/.docker/config.json",
)
# The kubelet's plugin sockets (device plugins such as Intel's SGX plugin, CSI drivers) live
# under /var/lib/kubelet beside its credentials, but hold none.
_KUBELET_SOCKET_DIRS = (
    "/var/lib/kubelet/device-plugins",
    "/var/lib/kubelet/plugins",
    "/var/lib/kubelet/plugins_registry",
    "/var/lib/kubelet/pod-resources",
)


def _credential_path(path: str) -> bool:
    if path.rstrip("/").startswith(_KUBELET_SOCKET_DIRS):
        return False
    return any(p in path for p in _CREDENTIAL_PATHS)


_CREDENTIAL_ENV = frozenset(
    {
        "KUBECONFIG",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AZURE_AUTH_LOCATION",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    }
)
_CREDENTIAL_SECRET_NAMES = ("kubeconfig", "aws-credentials", "gcp-credentials", "gcp-sa-key")


@rule(
    id="K8S-005",
    slug="k8s-credentials-mounted",
    title="Cluster or cloud credentials are mounted into a workload",
    control="keys.management",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="A kubeconfig or long-lived cloud key inside a pod is a credential beyond RBAC: "
    "whoever execs into the pod, or escapes from it, holds it; host paths such as ~/.kube or "
    "/etc/kubernetes expose the node's administrator credentials.",
    remediation="Use the pod's own service account (with a namespaced Role) and workload "
    "identity (IRSA, GKE/Azure workload identity) instead of mounted credential files.",
    references=(SECRETS_GOOD_PRACTICES, RBAC_GOOD_PRACTICES),
    applies=is_workload,
)
def credentials_mounted(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    found = False
    for v in pod.volumes:
        source = v.source or ""
        if v.kind == "hostPath" and _credential_path(source):
            found = True
            yield fail(
                f"volume {v.name} mounts the host's credential path {source}",
                pod.at(v.line),
                Evidence.of("hostPath", source),
            )
        names = [source] if v.kind == "secret" else list(v.secret_sources)
        for name in names:
            if any(n in name.lower() for n in _CREDENTIAL_SECRET_NAMES):
                found = True
                yield fail(
                    f"volume {v.name} mounts Secret {name}, which holds cluster or "
                    "cloud credentials",
                    pod.at(v.line),
                    severity=Severity.MEDIUM,
                )
    for c in pod.containers:
        for e in c.env:
            if e.name in _CREDENTIAL_ENV:
                found = True
                yield fail(
                    f"container {c.name}: {e.name} points the workload at a credential file",
                    pod.at(e.line),
                    Evidence.of(e.name, e.value),
                    severity=Severity.MEDIUM,
                )
    if not found:
        yield passed("no kubeconfig or cloud credential file mounted", pod.at())


@rule(
    id="K8S-006",
    slug="k8s-token-automount-unneeded",
    title="A service account token is mounted into a pod that needs no API access",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=PodSpec,
    reads_inventory=True,
    rationale="Every pod gets its service account's token unless automountServiceAccountToken "
    "is false; a pod that never calls the API (a Spark executor, most applications) only "
    "hands that token to whoever compromises it (CIS 5.1.5, 5.1.6).",
    remediation="Set automountServiceAccountToken: false in the pod spec (and on the "
    "default ServiceAccount); Spark executors get a separate account without a token.",
    references=(RBAC_GOOD_PRACTICES, f"{CIS} 5.1.5, 5.1.6"),
    applies=is_workload,
)
def token_automount(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    if any(api.ref == pod.owner for api in ctx.inventory.of(ApiServer)):
        return  # a kube-apiserver pod not labelled as kubeadm labels it: no service account
    mounted = pod.automount
    where = pod.at(pod.automount_line or pod.service_account_line)
    if mounted is None:
        for sa in service_accounts(ctx.inventory, pod.account, pod.namespace):
            mounted = sa.automount
            if sa.automount_line is not None and mounted is not None:
                where = sa.ref.at(sa.automount_line)
    if mounted is False:
        yield passed("the service account token is not mounted", where)
        return
    if pod.spark_role == "driver":
        yield passed("a Spark driver needs the API to manage its executors", where)
        return
    access = access_of(ctx.inventory, pod.account, pod.namespace)
    if access is not None and access.grants and pod.spark_role != "executor":
        yield passed(f"service account {pod.account} holds RBAC permissions it may use", where)
        return
    state = "true" if mounted else "unset (default true)"
    rbac_known = bool(ctx.inventory.of(KubeBinding)) and not is_templated(pod.account)
    if pod.spark_role == "executor" or pod.account == "default" or rbac_known:
        who = "a Spark executor" if pod.spark_role == "executor" else f"account {pod.account}"
        yield fail(
            f"automountServiceAccountToken is {state} for {who} with no API access to use",
            where,
            fix=_no_token_fix(pod),
        )
    else:
        why = (
            "the account name is templated"
            if is_templated(pod.account)
            else "no RBAC objects in the inputs say"
        )
        yield unknown(
            f"automountServiceAccountToken is {state}; {why} whether account {pod.account} "
            "needs the API",
            where,
        )
