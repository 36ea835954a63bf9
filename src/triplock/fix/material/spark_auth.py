"""The Spark authentication secret: SPARK-001 (spark.authenticate off) and SPARK-003 (on
Kubernetes the secret would reach executor pods as a literal env var).

Spark makes a secret per application itself on YARN and in local mode: there the fix is only
spark.authenticate=true. On Kubernetes, a generated secret goes into a Secret manifest that
Spark mounts into the driver and executor pods (spark.kubernetes.{driver,executor}.secrets.*),
and spark.authenticate.secret.{driver,executor}.file name it there. Elsewhere (standalone,
local-cluster) Spark takes the secret only from spark.authenticate.secret: it goes into a 0600
properties file under --secrets-dir, given to spark-submit with `--properties-file FILE
--load-spark-defaults`, never into the edited file."""

from __future__ import annotations

from typing import ClassVar

from triplock.fix.material._spark import Material, SparkTarget, pod_mount, provide_settings
from triplock.fix.material.interface import NEEDS_SECRETS_DIR, MaterialOptions, Provided
from triplock.keys.k8s_secret import ManifestError
from triplock.keys.secrets import new_secret
from triplock.model import AuditResult, Finding

SECRET = "spark-auth"  # the Kubernetes Secret and the directory under --secrets-dir
MOUNT = "/mnt/secrets/spark-auth"
SECRET_FILE = "secret"  # its data key, the file name in the pods and under --secrets-dir
PROPERTIES_FILE = "spark-auth.properties"


class SparkAuthProvider:
    rules: ClassVar[frozenset[str]] = frozenset({"SPARK-001", "SPARK-003"})

    def provide(
        self, failures: list[Finding], result: AuditResult, options: MaterialOptions
    ) -> Provided:
        return provide_settings(
            failures, result, lambda _, target, out: _settings(target, options, out)
        )


def _settings(target: SparkTarget, options: MaterialOptions, out: Provided) -> dict[str, str] | str:
    """The settings that turn authentication on for `target`, or why they cannot."""
    settings = {"spark.authenticate": "true"}
    if target.makes_own_secret and not target.kubernetes:
        return settings
    if options.secrets_dir is None:
        return NEEDS_SECRETS_DIR
    try:
        settings.update(_secret_settings(target, Material(options.secrets_dir, SECRET, out)))
    except ManifestError as e:
        return str(e)
    return settings


def _secret_settings(target: SparkTarget, material: Material) -> dict[str, str]:
    """The secret (generated or reused) and the settings that put it to use for `target`."""
    secret = material.ensure(
        SECRET_FILE, new_secret(), "Spark authentication secret (256 bits, hex)"
    )
    if not target.kubernetes:
        material.ensure(
            PROPERTIES_FILE,
            f"spark.authenticate.secret {secret.decode()}\n",
            "spark.authenticate.secret for standalone and local-cluster masters: spark-submit "
            f"--properties-file {material.path(PROPERTIES_FILE)} --load-spark-defaults",
        )
        return {}
    namespace = target.settings.get("spark.kubernetes.namespace")
    material.manifest(SECRET, {SECRET_FILE: secret}, namespace)
    return {
        "spark.authenticate.secret.driver.file": f"{MOUNT}/{SECRET_FILE}",
        "spark.authenticate.secret.executor.file": f"{MOUNT}/{SECRET_FILE}",
        **pod_mount(SECRET, MOUNT),
    }


PROVIDER = SparkAuthProvider()
