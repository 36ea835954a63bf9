"""Encryption of Secret data at rest (EncryptionConfiguration) and the kube-apiserver flags
that switch it and RBAC on (config-keys.md, Kubernetes table)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.kube import ApiServer, EncryptionConfig, EncryptionResource
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._kube import CIS
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

ENCRYPT_DOC = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"
KMS_DOC = "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/"


def _secrets_entry(config: EncryptionConfig) -> EncryptionResource | None:
    return next((r for r in config.resources if r.covers_secrets()), None)


@rule(
    id="K8S-201",
    slug="k8s-secrets-stored-plaintext",
    title="Secrets are written to etcd in plain text",
    control="rest.k8s-secrets",
    severity=Severity.CRITICAL,
    target=EncryptionConfig,
    rationale="The API server encrypts with the FIRST provider of the list and tries all of "
    "them to decrypt: `identity` first means new Secrets go to etcd unencrypted. `identity` "
    "belongs only at the end, to read data written before encryption was enabled.",
    remediation="Put kms (apiVersion v2) or secretbox first for secrets; keep identity last "
    "only while migrating, then rewrite all Secrets (kubectl get secrets -A -o json | "
    "kubectl replace -f -).",
    references=(ENCRYPT_DOC,),
)
def plaintext(config: EncryptionConfig, ctx: Context) -> Iterator[Outcome]:
    entry = _secrets_entry(config)
    if entry is None:
        return  # K8S-202 reports the gap
    if not entry.providers:
        yield fail("the secrets entry lists no provider", config.ref.at(entry.line))
        return
    first = entry.providers[0]
    if first.name == "identity":
        yield fail(
            "identity is the first provider for secrets: they are stored unencrypted",
            config.ref.at(first.line),
            Evidence.of("provider", first.name),
            fix=Fix(FixAction.MANUAL, "move identity to the end of the providers list"),
        )
        return
    middle = [p for p in entry.providers[1:-1] if p.name == "identity"]
    if middle:
        yield fail(
            "identity sits between encrypting providers; it belongs last, as the "
            "migration fallback only",
            config.ref.at(middle[0].line),
            severity=Severity.LOW,
        )
        return
    yield passed(f"secrets are encrypted with {first.name}", config.ref.at(first.line))


@rule(
    id="K8S-202",
    slug="k8s-secrets-not-covered",
    title="The EncryptionConfiguration does not cover Secrets",
    control="rest.k8s-secrets",
    severity=Severity.HIGH,
    target=EncryptionConfig,
    rationale="Only the resources listed are encrypted; without `secrets` (or `*.`/`*.*`) "
    "Secret data stays in plain text in etcd and its backups.",
    remediation="Add `secrets` to the resources of an entry whose first provider encrypts.",
    references=(ENCRYPT_DOC,),
)
def not_covered(config: EncryptionConfig, ctx: Context) -> Iterator[Outcome]:
    entry = _secrets_entry(config)
    if entry is None:
        yield fail(
            "no resources entry covers secrets",
            config.ref.at(),
            fix=Fix(FixAction.MANUAL, "add secrets to the encrypted resources"),
        )
    else:
        yield passed("secrets are covered", config.ref.at(entry.line))


@rule(
    id="K8S-203",
    slug="k8s-secrets-weak-provider",
    title="Secrets are encrypted with a weak or deprecated provider",
    control="rest.k8s-secrets",
    severity=Severity.MEDIUM,
    target=EncryptionConfig,
    rationale="aescbc is vulnerable to padding-oracle attacks and no longer recommended; "
    "aesgcm needs its key rotated every 200,000 writes; kms v1 is deprecated (v2 is GA since "
    "1.29). Local providers keep the key in the same file as the configuration.",
    remediation="Use the kms provider with apiVersion: v2 (an external KMS keeps the key "
    "encryption key), or secretbox when no KMS exists.",
    references=(ENCRYPT_DOC, KMS_DOC),
)
def weak_provider(config: EncryptionConfig, ctx: Context) -> Iterator[Outcome]:
    entry = _secrets_entry(config)
    if entry is None or not entry.providers or entry.providers[0].name == "identity":
        return
    first = entry.providers[0]
    where = config.ref.at(first.line)
    match first.name:
        case "aescbc":
            yield fail(
                "aescbc encrypts secrets: weak (padding oracle)",
                where,
                Evidence.of("provider", first.name),
            )
        case "aesgcm":
            yield fail(
                "aesgcm encrypts secrets: its key must be rotated every 200,000 writes",
                where,
                Evidence.of("provider", first.name),
                severity=Severity.LOW,
            )
        case "kms" if (first.kms_api_version or "v1") != "v2":
            yield fail(
                "kms v1 encrypts secrets: deprecated since Kubernetes 1.28, use v2",
                where,
                Evidence.of("apiVersion", first.kms_api_version or "v1"),
            )
        case "kms" | "secretbox":
            yield passed(f"{first.name} is a strong provider", where)
        case _:
            yield unknown(f"unknown provider {first.name}", where)


@rule(
    id="K8S-210",
    slug="k8s-apiserver-authorization-mode",
    title="The API server does not authorize with RBAC",
    control="k8s.rbac",
    severity=Severity.CRITICAL,
    target=ApiServer,
    rationale="--authorization-mode defaults to AlwaysAllow: every authenticated request is "
    "allowed and no Role matters. It must include RBAC (and Node) and never AlwaysAllow "
    "(CIS 1.2.6-1.2.8).",
    remediation="Start kube-apiserver with --authorization-mode=Node,RBAC.",
    references=(
        f"{CIS} 1.2.6-1.2.8",
        "https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
    ),
)
def authorization_mode(api: ApiServer, ctx: Context) -> Iterator[Outcome]:
    flag = api.flags.get("authorization-mode")
    fix = Fix(FixAction.SET, "--authorization-mode", "Node,RBAC", api.ref.path)
    if flag is None:
        yield fail(
            "--authorization-mode is unset (default AlwaysAllow)", api.ref.at(api.line), fix=fix
        )
        return
    if flag.templated:
        yield unknown(
            "--authorization-mode is templated", flag.location, Evidence.of(flag.key, flag.value)
        )
        return
    modes = [m.strip() for m in flag.value.split(",")]
    if "AlwaysAllow" in modes:
        yield fail(
            "--authorization-mode includes AlwaysAllow",
            flag.location,
            Evidence.of(flag.key, flag.value),
            fix=fix,
        )
    elif "RBAC" not in modes:
        yield fail(
            "--authorization-mode does not include RBAC",
            flag.location,
            Evidence.of(flag.key, flag.value),
            fix=fix,
        )
    else:
        yield passed(
            "the API server authorizes with RBAC", flag.location, Evidence.of(flag.key, flag.value)
        )


@rule(
    id="K8S-211",
    slug="k8s-apiserver-no-encryption-config",
    title="The API server does not encrypt Secret data at rest",
    control="rest.k8s-secrets",
    severity=Severity.HIGH,
    target=ApiServer,
    rationale="Without --encryption-provider-config every Secret is stored in plain text in "
    "etcd and in its backups (CIS 1.2.27).",
    remediation="Write an EncryptionConfiguration (kms v2 first for secrets) and pass it "
    "with --encryption-provider-config.",
    references=(ENCRYPT_DOC, f"{CIS} 1.2.27"),
)
def encryption_flag(api: ApiServer, ctx: Context) -> Iterator[Outcome]:
    flag = api.flags.get("encryption-provider-config")
    if flag is None or not flag.value.strip():
        yield fail(
            "--encryption-provider-config is unset: Secrets are stored unencrypted",
            api.ref.at(api.line),
            # The flag alone would stop the API server: the file must come with it, which the
            # fix/material/encryption_config provider generates under --secrets-dir.
            fix=Fix(
                FixAction.MANUAL,
                "write an EncryptionConfiguration (`triplock fix --secrets-dir DIR` generates "
                "one) and pass it with "
                "--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml",
                path=api.ref.path,
            ),
        )
    else:
        yield passed(
            "an encryption provider configuration is set",
            flag.location,
            Evidence.of(flag.key, flag.value),
        )
