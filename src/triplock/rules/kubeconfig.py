"""kubeconfig rules: credentials committed in a kubeconfig (critical when the identity is a
cluster admin as far as the inputs say) and clusters reached without TLS verification."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.kube import SubjectAccess
from triplock.facts.kubeconfig import Kubeconfig, KubeconfigUser
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule

KUBECONFIG_DOC = (
    "https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/"
)
# Groups the API server or kubeadm makes cluster-admin whatever the inputs hold.
ADMIN_GROUPS = ("system:masters", "kubeadm:cluster-admins")


def admin_power(user: KubeconfigUser, accesses: list[SubjectAccess]) -> str | None:
    """Why this identity is a cluster admin, or None when the inputs do not say so."""
    for group in user.cert_groups:
        if group in ADMIN_GROUPS:
            return f"its certificate puts it in group {group}, which is cluster-admin"
    for access in accesses:
        subject = access.subject
        named = (subject.kind == "User" and subject.name == user.cert_user) or (
            subject.kind == "Group" and subject.name in user.cert_groups
        )
        if named and any(g.builtin_role == "cluster-admin" for g in access.grants):
            return f"{subject.label} is bound to cluster-admin in the inputs"
    return None


@rule(
    id="KCFG-001",
    slug="kubeconfig-embedded-credential",
    title="A kubeconfig carries a client key, token or password",
    control="keys.management",
    severity=Severity.HIGH,
    target=Kubeconfig,
    reads_inventory=True,
    rationale="A kubeconfig with embedded credentials is the cluster identity itself: whoever "
    "reads the file acts as that user. A cluster-admin one (kubeadm's admin.conf, a "
    "system:masters certificate) gives the whole cluster and cannot be revoked short of "
    "rotating the cluster CA.",
    remediation="Do not commit kubeconfigs with credentials: use an exec credential plugin or "
    "OIDC, short-lived tokens, and rotate any credential that was committed.",
    references=(KUBECONFIG_DOC,),
)
def embedded_credential(config: Kubeconfig, ctx: Context) -> Iterator[Outcome]:
    accesses = ctx.inventory.of(SubjectAccess)
    found = False
    for user in config.users:
        power = admin_power(user, accesses)
        for cred in user.credentials:
            found = True
            who = f" ({power})" if power else ""
            yield fail(
                f"user {user.name}: {cred.field} is embedded{who}",
                config.at(cred.line, f"user {user.name}"),
                Evidence.of(cred.field, cred.value, by_key_only=True),
                fix=Fix(FixAction.MANUAL, "replace the embedded credential by an exec plugin"),
                severity=Severity.CRITICAL if power else None,
            )
    if not found and config.users:
        yield passed("no credential embedded in the kubeconfig", config.at())


@rule(
    id="KCFG-002",
    slug="kubeconfig-tls-verification-off",
    title="A kubeconfig skips TLS verification of the API server",
    control="transit.tls",
    severity=Severity.HIGH,
    target=Kubeconfig,
    rationale="insecure-skip-tls-verify: true accepts any certificate: whoever sits on the "
    "path receives the client's credentials and can answer as the cluster.",
    remediation="Set certificate-authority-data (or certificate-authority) to the cluster CA "
    "and remove insecure-skip-tls-verify.",
    references=(KUBECONFIG_DOC,),
)
def tls_verification_off(config: Kubeconfig, ctx: Context) -> Iterator[Outcome]:
    for cluster in config.clusters:
        if cluster.insecure_line is not None:
            yield fail(
                f"cluster {cluster.name}: insecure-skip-tls-verify is true",
                config.at(cluster.insecure_line, f"cluster {cluster.name}"),
                Evidence.of("insecure-skip-tls-verify", "true"),
                fix=Fix(FixAction.UNSET, "insecure-skip-tls-verify", None, config.path),
            )
        else:
            yield passed(f"cluster {cluster.name} is verified", config.at(cluster.line))
