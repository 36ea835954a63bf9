"""Cross-layer rules: what Spark and Hadoop settings mean once they run on Kubernetes, judged
over the whole inventory (Spark apps, pod specs, ConfigMaps and effective RBAC together)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, HadoopScope
from triplock.facts.kube import KubeConfigMap, PodSpec, SubjectAccess
from triplock.facts.spark import SECRET_MOUNT_PREFIXES, SparkApp
from triplock.inventory import Inventory
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules._kube import SECRETS_GOOD_PRACTICES, dangers
from triplock.rules.rbac import SPARK_RBAC, spark_identities
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.secret_classifier import literal_secret
from triplock.sources.kube_rbac import access_of

SPARK_K8S = "https://spark.apache.org/docs/latest/running-on-kubernetes.html"
SPARK_SECURITY = "https://spark.apache.org/docs/latest/security.html"
_HADOOP_FILE_KEY = re.compile(r"(keystore|truststore)\.location$|keytab(\.file)?$")
_SECRET_FILES = ("spark.authenticate.secret.driver.file", "spark.authenticate.secret.executor.file")


def _k8s_apps(inventory: Inventory) -> list[SparkApp]:
    return [a for a in inventory.of(SparkApp) if a.on_kubernetes]


def _namespace(app: SparkApp) -> str:
    return app.value("spark.kubernetes.namespace") or "default"


def _pod_readers(inventory: Inventory) -> dict[str | None, set[str]]:
    """Who can get pods: by namespace of the grant (None: cluster-wide)."""
    readers: dict[str | None, set[str]] = {}
    for a in inventory.of(SubjectAccess):
        for g in a.holding("get", "pods"):
            readers.setdefault(g.namespace, set()).add(a.subject.label)
    return readers


@rule(
    id="XLAYER-001",
    slug="spark-k8s-auth-secret-readable",
    title="Subjects that can read pods can read a Spark application's auth secret",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="With spark.authenticate=true on Kubernetes and no secret files, Spark writes "
    "the secret into every executor pod spec as _SPARK_AUTH_SECRET (SPARK-003). The RBAC "
    "analysis names who, beyond the driver, can get or list those pods and so read it.",
    remediation="Set spark.authenticate.secret.driver.file and "
    "spark.authenticate.secret.executor.file to a file mounted from a Secret volume; until "
    "then, remove get/list on pods in the namespace from everyone but the driver.",
    references=(SPARK_SECURITY + "#authentication", SPARK_K8S + "#secret-management"),
)
def auth_secret_readable(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    if not inventory.of(SubjectAccess):
        return
    readers_by_ns = _pod_readers(inventory)
    # A namespace's readers, sorted once: a cluster dump has thousands of applications in a
    # few namespaces, each with thousands of readers.
    in_namespace: dict[str, tuple[list[str], set[str]]] = {}
    for app in _k8s_apps(inventory):
        if app.flag("spark.authenticate", default=False) is not True:
            continue
        # Both keys fall back to spark.authenticate.secret.file in Spark's config.
        if app.get("spark.authenticate.secret.file") or all(app.get(k) for k in _SECRET_FILES):
            continue
        driver = app.value("spark.kubernetes.authenticate.driver.serviceAccountName") or "default"
        ns = _namespace(app)
        if ns not in in_namespace:
            everyone = readers_by_ns.get(None, set()) | readers_by_ns.get(ns, set())
            in_namespace[ns] = sorted(everyone), everyone
        ordered, everyone = in_namespace[ns]
        itself = f"ServiceAccount {ns}/{driver}"
        count = len(everyone) - (itself in everyone)
        where = app.where("spark.authenticate")
        if count:
            shown = [reader for reader in ordered[:6] if reader != itself][:5]
            more = f" and {count - 5} more" if count > 5 else ""
            yield fail(
                f"_SPARK_AUTH_SECRET in the executor pods of namespace {ns} is readable by "
                f"{', '.join(shown)}{more}",
                where,
                fix=Fix(
                    FixAction.SET, _SECRET_FILES[1], "/mnt/secrets/spark-auth/secret", where.path
                ),
            )
        else:
            yield passed(f"no subject but the driver can read pods in namespace {ns}", where)


# How the names of settings that point at key files end (lowercased).
_FILE_KEYS = (
    "keystore",
    "truststore",
    "keytab",
    ".keytab.file",
    "keystore.location",
    "truststore.location",
    "secret.file",
    "secret.driver.file",
    "secret.executor.file",
)


@functools.lru_cache(maxsize=4096)  # applications share a few hundred setting names
def _names_key_file(key: str) -> bool:
    return key.lower().endswith(_FILE_KEYS)


def _file_settings(app: SparkApp) -> Iterator[tuple[str, str, Location]]:
    for key in filter(_names_key_file, app.settings):
        s = app.settings[key]
        if s.templated:
            continue
        value = s.value.strip()
        if key in ("spark.kerberos.keytab", "spark.yarn.keytab") and not value.startswith(
            "local://"
        ):
            continue  # read by spark-submit on the client, not in the pod (SPARK-060)
        for prefix in ("local://", "file://"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
        if value.startswith("/"):
            yield key, posixpath.normpath(value), s.location


def _pod_mounts(inventory: Inventory) -> tuple[dict[str | None, list[str]], list[str], bool]:
    """Secret mount paths by owning object, those of Spark pod templates, and whether any
    Spark pod template is in the inputs."""
    by_owner: dict[str | None, list[str]] = {}
    templates: list[str] = []
    any_template = False
    for pod in inventory.of(PodSpec):
        paths = pod.secret_mount_paths()
        by_owner.setdefault(pod.owner.label, []).extend(paths)
        if pod.spark_role is not None and pod.owner.kind in ("Pod", "PodTemplate"):
            any_template = True
            templates += paths
    return by_owner, templates, any_template


@rule(
    id="XLAYER-002",
    slug="spark-k8s-key-file-not-from-secret",
    title="A keystore, keytab or secret file named by Spark/Hadoop is not mounted from a Secret",
    control="keys.tls-material",
    severity=Severity.MEDIUM,
    target=Inventory,
    rationale="On Kubernetes a key file must reach the pod through a Secret volume; a path "
    "that no Secret volume covers is baked into the image or a hostPath, where it is neither "
    "protected nor rotatable.",
    remediation="Mount a Secret at the file's directory (pod template volume, or "
    "spark.kubernetes.{driver,executor}.secrets.NAME=/dir).",
    references=(SPARK_K8S + "#secret-management", SECRETS_GOOD_PRACTICES),
)
def key_file_not_from_secret(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    by_owner, templates, any_template = _pod_mounts(inventory)
    for app in _k8s_apps(inventory):
        files = list(_file_settings(app))
        if not files:  # most applications: nothing to look for among the mounts
            continue
        own = [s.value.strip() for s in app.matching(SECRET_MOUNT_PREFIXES)]
        known = bool(own) or any_template or app.origin.object in by_owner
        paths = own + templates + by_owner.get(app.origin.object, [])
        mounted = [posixpath.normpath(p) for p in paths if p.startswith("/")]
        for key, path, where in files:
            if any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounted):
                yield passed(f"{key} lies in a Secret volume", where, Evidence.of(key, path))
            elif not known:
                yield unknown(
                    f"{key} names {path}, and no pod template or secrets setting in "
                    "the inputs shows how it is mounted",
                    where,
                    Evidence.of(key, path),
                )
            else:
                yield fail(
                    f"{key} names {path}, which no Secret volume covers",
                    where,
                    Evidence.of(key, path),
                )
    yield from _hadoop_key_files(inventory)


def _all_mounts(inventory: Inventory) -> list[tuple[str, bool]]:
    """Every mount path of every pod, and whether a Secret backs it."""
    out: list[tuple[str, bool]] = []
    for pod in inventory.of(PodSpec):
        kinds = {v.name: v.kind == "secret" or bool(v.secret_sources) for v in pod.volumes}
        out += [
            (posixpath.normpath(m.mount_path), kinds.get(m.volume, False))
            for c in pod.containers
            for m in c.mounts
            if m.mount_path.startswith("/")
        ]
    return out


def _hadoop_files(conf: HadoopConf) -> Iterator[tuple[str, str, Location]]:
    for key in conf.names():
        if not _HADOOP_FILE_KEY.search(key):
            continue
        value = conf.text(key)
        if value and value.startswith("/"):
            yield key, posixpath.normpath(value), conf.where(key)


def _under(path: str, mount: str) -> bool:
    return path == mount or path.startswith(mount.rstrip("/") + "/")


def _hadoop_key_files(inventory: Inventory) -> Iterator[Outcome]:
    """Hadoop's own conf files (a conf directory, a daemon's /conf) next to pod specs: the
    keystores and keytabs they name must come from Secret volumes of those pods."""
    mounts = _all_mounts(inventory)
    if not mounts:
        return
    for conf in inventory.of(HadoopConf):
        if conf.scope is HadoopScope.SPARK:
            continue  # spark.hadoop.* settings: judged with their Spark application
        for key, path, where in _hadoop_files(conf):
            covering = [secret for mount, secret in mounts if _under(path, mount)]
            if any(covering):
                yield passed(f"{key} lies in a Secret volume", where, Evidence.of(key, path))
            elif covering:
                yield fail(
                    f"{key} names {path}, which pods mount from a volume that is not a Secret",
                    where,
                    Evidence.of(key, path),
                )
            else:
                yield unknown(
                    f"{key} names {path}, which no pod in the inputs mounts",
                    where,
                    Evidence.of(key, path),
                )


@rule(
    id="XLAYER-004",
    slug="k8s-configmap-spark-conf-secret",
    title="A ConfigMap carries Spark or Hadoop configuration with a secret",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="spark-defaults.conf or *-site.xml shipped in a ConfigMap (sparkConfigMap, "
    "hadoopConfigMap, SPARK_CONF_DIR) is readable by the `view` role and unencrypted in etcd: "
    "passwords and keys in it are exposed.",
    remediation="Keep secrets out of the conf: reference files mounted from Secrets, or a "
    "Hadoop credential provider (hadoop.security.credential.provider.path).",
    references=(SECRETS_GOOD_PRACTICES, SPARK_SECURITY),
)
def configmap_spark_conf(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    for cm in inventory.of(KubeConfigMap):
        entries = [e for e in cm.entries if e.conf_kind is not None]
        bad = False
        for e in entries:
            verdict = literal_secret(e.key, e.value)
            if verdict is not None:
                bad = True
                yield fail(
                    f"{e.embedded_in}: {e.conf_kind} setting {e.key} holds a literal "
                    f"secret ({verdict.describe()})",
                    cm.ref.at(e.line),
                    Evidence.of(e.key, e.value),
                    # Removing it alone would stop the service that reads it: a manual step.
                    fix=Fix(
                        FixAction.MANUAL,
                        f"move {e.key} out of the ConfigMap into a file mounted from a Secret "
                        "or a Hadoop credential store, then remove it",
                        path=cm.ref.path,
                    ),
                )
        if entries and not bad:
            yield passed("the Spark/Hadoop conf in this ConfigMap holds no secret", cm.ref.at())


@rule(
    id="XLAYER-005",
    slug="spark-k8s-overprivileged-identity",
    title="A Spark application runs as an over-privileged service account",
    control="k8s.rbac",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="Any code a Spark job runs (user UDFs, libraries, a deserialization bug) acts "
    "with the driver's service account: if that account reads Secrets, execs into pods or "
    "escalates, so does the job.",
    remediation="Give the driver a dedicated account with the namespaced Role Spark "
    "documents, and executors an account without RBAC.",
    references=(SPARK_RBAC,),
)
def overprivileged_identity(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    if not inventory.of(SubjectAccess):
        return
    key = "spark.kubernetes.authenticate.driver.serviceAccountName"
    for (ns, sa), facts in spark_identities(inventory).items():
        access = access_of(inventory, sa, ns)
        found = dangers(access) if access is not None else []
        for fact in facts:
            where = fact.where(key) if isinstance(fact, SparkApp) else _pod_where(fact)
            if found:
                what = "; ".join(f"{d.what} ({d.grant.role})" for d in found[:4])
                yield fail(
                    f"Spark runs as {ns}/{sa}, which {what}",
                    where,
                    Evidence.of("serviceAccount", sa),
                )
            else:
                yield passed(f"Spark's account {ns}/{sa} holds no dangerous permission", where)


def _pod_where(fact: object) -> Location:
    assert isinstance(fact, PodSpec)
    return fact.at(fact.service_account_line)
