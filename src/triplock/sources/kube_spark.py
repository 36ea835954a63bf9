"""Spark in Kubernetes manifests: SparkApplication / ScheduledSparkApplication (Kubeflow Spark
operator, sparkoperator.k8s.io/v1beta2), its SparkConnect (v1alpha1: a long-running Spark
Connect server, the driver, with executors), SparkApplication / SparkCluster (Apache Spark
Kubernetes operator, spark.apache.org/v1), and spark-submit commands in container specs.

Their sparkConf becomes a SparkApp (settings exposed: a custom resource is readable by anyone
who can read it), their spec fields the Spark settings the operator turns them into, and their
hadoopConf spark.hadoop.* settings, so that the Spark and Hadoop rules judge them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from triplock.facts.kube import Container, ObjectRef, PodSpec, YMap, scalar_text
from triplock.facts.shell import Arg, launch_start
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory, Setting, is_templated
from triplock.sources.embedded_shell import read_embedded, shell_c_script
from triplock.sources.kube_objects import container, node_access, pod_spec, volume
from triplock.sources.spark_submit import spark_app_from_argv

SPARK_KINDS = frozenset(
    {
        "SparkApplication",
        "ScheduledSparkApplication",
        "SparkCluster",
        "SparkConnect",
        "SparkHistoryServer",
    }
)

# API groups of operators that create a service account (and its RoleBinding) for each
# application, whose resources have no driver service account field.
ACCOUNT_PER_APP = {"spark.stackable.tech": "the Stackable operator for Apache Spark"}

# Kubeflow operator spec fields -> the Spark setting the operator submits them as.
_SPEC_KEYS = {
    "image": "spark.kubernetes.container.image",
    "imagePullPolicy": "spark.kubernetes.container.image.pullPolicy",
    "mainApplicationFile": "spark.app.resource",
}
_ROLE_KEYS = {
    "driver": {
        "serviceAccount": "spark.kubernetes.authenticate.driver.serviceAccountName",
        "image": "spark.kubernetes.driver.container.image",
        "javaOptions": "spark.driver.extraJavaOptions",
        "cores": "spark.driver.cores",
        "memory": "spark.driver.memory",
    },
    "executor": {
        "serviceAccount": "spark.kubernetes.authenticate.executor.serviceAccountName",
        "image": "spark.kubernetes.executor.container.image",
        "javaOptions": "spark.executor.extraJavaOptions",
        "cores": "spark.executor.cores",
        "memory": "spark.executor.memory",
        "instances": "spark.executor.instances",
    },
}
_ENV_PREFIX = {"driver": "spark.kubernetes.driverEnv.", "executor": "spark.executorEnv."}


def add_spark_resource(doc: YMap, ref: ObjectRef, inventory: Inventory) -> None:
    spec = doc.map("spec")
    if spec is None:
        return
    if ref.kind == "SparkHistoryServer":
        _add_history_server(spec, ref, inventory)
        return
    if ref.kind == "ScheduledSparkApplication":
        spec = spec.map("template") or spec
    app = SparkApp(name=ref.label, origin=ref.at(), kind=SparkOrigin.KUBERNETES)
    group = (doc.text("apiVersion") or "").split("/", 1)[0]
    app.account_per_app = ACCOUNT_PER_APP.get(group)

    def put(key: str, value: str, line: int) -> None:
        app.set(Setting.literal_or_templated(key, value, ref.at(line), exposed=True))

    if ref.kind != "SparkCluster":  # a SparkCluster runs a standalone master in pods
        put("spark.master", "k8s://https://kubernetes.default.svc", ref.line)
    if ref.namespace:
        put("spark.kubernetes.namespace", ref.namespace, ref.line)
    version = spec.text("sparkVersion")
    runtime = spec.map("runtimeVersions")
    product = spec.map("sparkImage")  # Stackable: sparkImage.productVersion
    app.spark_version = (
        version
        or (runtime.text("sparkVersion") if runtime else None)
        or (product.text("productVersion") if product else None)
    )
    for field_name, key in _SPEC_KEYS.items():
        value = spec.text(field_name)
        if value is not None:
            put(key, value, spec.line_of(field_name))
    image = spec.text("sparkImage")  # Stackable's older form: the image as a string
    if image is not None:
        put("spark.kubernetes.container.image", image, spec.line_of("sparkImage"))
    for role in ("driver", "executor"):
        part = spec.map(_part_name(ref, role))
        if part is not None:
            _role_settings(part, role, put)
    conf = spec.map("sparkConf")
    if conf is not None:
        for key, value in conf.items():
            put(key, scalar_text(value), conf.line_of(key))
    hadoop = spec.map("hadoopConf")
    if hadoop is not None:
        # As Spark does: hadoopConf reaches Hadoop as spark.hadoop.* (sources/hadoop_xml.py
        # turns those into the application's HadoopConf for the Hadoop rules).
        for key, value in hadoop.items():
            put(f"spark.hadoop.{key}", scalar_text(value), hadoop.line_of(key))
    for role, pod in _role_pods(spec, ref, inventory).items():
        # A pod template's service account (SparkConnect's server and executors) is the
        # role's, unless the resource's own field sets it: Spark's setting wins over a template.
        account = _ROLE_KEYS[role]["serviceAccount"] if role in _ROLE_KEYS else None
        if account and pod.service_account and app.get(account) is None:
            put(account, pod.service_account, pod.service_account_line or pod.line)
    inventory.add(app)


def _add_history_server(spec: YMap, ref: ObjectRef, inventory: Inventory) -> None:
    """Stackable's SparkHistoryServer: the operator writes its sparkConf and the event log
    directory into the history server's spark-defaults.conf, which is what this SparkApp is."""
    app = SparkApp(name=ref.label, origin=ref.at(), kind=SparkOrigin.DEFAULTS_FILE)

    def put(key: str, value: str, line: int) -> None:
        app.set(Setting.literal_or_templated(key, value, ref.at(line), exposed=True))

    logs = spec.map("logFileDirectory")
    s3 = logs.map("s3") if logs is not None else None
    if s3 is not None:
        bucket = s3.map("bucket")
        name = bucket.text("reference") if bucket else None
        where = f"s3a://{name or '<bucket>'}/{s3.text('prefix') or ''}"
        put("spark.history.fs.logDirectory", where, logs.line_of("s3") if logs else ref.line)
    conf = spec.map("sparkConf")
    if conf is not None:
        for key, value in conf.items():
            put(key, scalar_text(value), conf.line_of(key))
    if app.settings:
        inventory.add(app)


def _part_name(ref: ObjectRef, role: str) -> str:
    """Where a resource describes the driver or the executors: a SparkConnect's driver is its
    server."""
    return "server" if ref.kind == "SparkConnect" and role == "driver" else role


def _role_settings(part: YMap, role: str, put: Callable[[str, str, int], None]) -> None:
    for field_name, key in _ROLE_KEYS[role].items():
        value = part.text(field_name)
        if value is not None:
            put(key, value, part.line_of(field_name))
    for s in part.list("secrets").maps():
        name, path = s.text("name"), s.text("path")
        if name and path:
            put(f"spark.kubernetes.{role}.secrets.{name}", path, s.line)
    refs = part.map("envSecretKeyRefs")
    if refs is not None:
        for env, ref in refs.items():
            if isinstance(ref, YMap):
                value = f"{ref.text('name') or ''}:{ref.text('key') or ''}"
                put(f"spark.kubernetes.{role}.secretKeyRef.{env}", value, refs.line_of(env))
    env_map = part.map("envVars")
    if env_map is not None:
        for env, value in env_map.items():
            put(_ENV_PREFIX[role] + env, scalar_text(value), env_map.line_of(env))
    # `env` goes into the pod spec, not the Spark conf: the PodSpec facts carry it.


def _role_pods(spec: YMap, ref: ObjectRef, inventory: Inventory) -> dict[str, PodSpec]:
    """Driver and executor (or SparkCluster master and worker) pods as PodSpec facts, so the
    workload rules see their env, mounts and service accounts; returned by role."""
    pods: dict[str, PodSpec] = {}
    volumes = [volume(v) for v in spec.list("volumes").maps()]
    roles = ("master", "worker") if ref.kind == "SparkCluster" else ("driver", "executor")
    for role in roles:
        part = spec.map(_part_name(ref, role)) or spec.map(f"{role}Spec")
        if part is None:
            continue
        template = part.map("podTemplateSpec") or part.map("template") or _dig_template(part)
        pod_yaml = template.map("spec") if template is not None else None
        if pod_yaml is not None:
            pod = pod_spec(pod_yaml, ref, {"spark-role": role}, ref.path)
            pod.spark_role = role
        elif ref.kind == "SparkCluster":
            continue
        else:
            pod = PodSpec(owner=ref, line=part.line, spark_role=role, node=node_access(part))
            pod.containers.append(_operator_container(part, role))
            mounted = {m.volume for m in pod.containers[0].mounts}
            pod.volumes = [v for v in volumes if v.name in mounted]
            sa = part.text("serviceAccount")
            if sa:
                pod.service_account = sa
                pod.service_account_line = part.line_of("serviceAccount")
        inventory.add(pod)
        pods[role] = pod
    return pods


def _dig_template(part: YMap) -> YMap | None:
    stateful = part.map("statefulSetSpec")
    return stateful.map("template") if stateful is not None else None


def _operator_container(part: YMap, role: str) -> Container:
    base = container(part)
    return dataclasses.replace(base, name=f"spark-kubernetes-{role}")


def spark_apps_in_commands(pod: PodSpec, inventory: Inventory) -> None:
    """spark-submit launched by a container's command/args: its settings are in the pod spec."""
    for c in pod.containers:
        if not c.command:
            continue
        args = [
            Arg(a, line, is_templated(a))
            for a, line in zip(c.command, c.command_lines, strict=True)
        ]
        start = launch_start([a.text for a in args])
        if start is not None:
            inventory.add(
                spark_app_from_argv(args, start, pod.owner.path, args[0].line, pod.owner.label)
            )
            continue
        script = shell_c_script([a.text for a in args])
        if script is not None:
            commands, apps = read_embedded(
                args[script].text, pod.owner.path, args[script].line or 1, pod.owner.label
            )
            for fact in (*commands, *apps):  # commands: for the shell rules (curl -k, echo)
                inventory.add(fact)
