"""Secret encryption at rest as etcd shows it (K8S-220): observed by `triplock verify --etcd`."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.etcd import EtcdSecrets
from triplock.model import Evidence, Location, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

VERIFY_DOC = (
    "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"
    "#verifying-that-data-is-encrypted"
)


@rule(
    id="K8S-220",
    slug="k8s-etcd-secrets-plaintext",
    title="Kubernetes Secrets are stored in etcd without encryption",
    control="rest.k8s-secrets",
    severity=Severity.HIGH,
    target=EtcdSecrets,
    rationale="Observed in etcd itself: a Secret whose value lacks the k8s:enc:<provider>: "
    "prefix is readable by anyone with etcd access or a backup. An EncryptionConfiguration "
    "only encrypts Secrets written after it took effect.",
    remediation="Configure an EncryptionConfiguration with a kms v2 (or aescbc/aesgcm/"
    "secretbox) provider first, then rewrite every Secret: kubectl get secrets -A -o json | "
    "kubectl replace -f -.",
    references=(VERIFY_DOC,),
)
def secrets_in_etcd(found: EtcdSecrets, ctx: Context) -> Iterator[Outcome]:
    if not found.by_namespace:
        yield unknown("etcd holds no key under /registry/secrets/", found.location)
    for namespace, counts in sorted(found.by_namespace.items()):
        where = Location(url=found.location.url, object=f"namespace {namespace}")
        shown = ", ".join(f"{n} {provider}" for provider, n in sorted(counts.items()))
        seen = Evidence.of("stored as", shown)
        if counts["plaintext"]:
            yield fail(
                f"{counts['plaintext']} of {counts.total()} Secrets in namespace {namespace} are "
                "stored in plain text",
                where,
                seen,
            )
        elif counts["unknown"]:
            yield unknown(f"Secrets in namespace {namespace} of an unknown shape", where, seen)
        else:
            yield passed(f"every Secret in namespace {namespace} is encrypted", where, seen)
