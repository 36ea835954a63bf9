"""Docker Compose rules: secrets in service environments and env files, plain-text Spark and
Hadoop ports published on every host interface, host credentials mounted into services."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.compose import ComposeService, EnvEntry, EnvFile, PublishedPort
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule
from triplock.secret_classifier import literal_secret

COMPOSE_SECRETS = "https://docs.docker.com/compose/how-tos/use-secrets/"
COMPOSE_PORTS = "https://docs.docker.com/reference/compose-file/services/#ports"

# Container ports of plain-HTTP or unauthenticated-RPC endpoints, by what serves them.
SPARK_PORTS = {
    4040: "Spark application UI",
    6066: "Spark standalone REST submission server",
    7077: "Spark standalone master RPC",
    8080: "Spark master UI",
    8081: "Spark worker UI",
    18080: "Spark history server UI",
}
HADOOP_PORTS = {
    9870: "NameNode web UI",
    50070: "NameNode web UI",
    8020: "NameNode RPC",
    9000: "NameNode RPC",
    9864: "DataNode web UI",
    50075: "DataNode web UI",
    8088: "YARN ResourceManager UI",
    8042: "YARN NodeManager UI",
}
# Host paths whose mount hands a service the host or its credentials.
_HOST_CREDENTIALS = ("/var/run/docker.sock", "/run/docker.sock", "/root/.kube", "/etc/kubernetes")
_YES = ("yes", "true")


def secret_reason(entry: EnvEntry) -> str | None:
    """Why an environment entry holds a literal secret (the one call into the classifier)."""
    if entry.value is None or entry.templated:
        return None
    verdict = literal_secret(entry.name, entry.value)
    return None if verdict is None else verdict.describe()


def _literal_secrets(entries: tuple[EnvEntry, ...], where: str) -> Iterator[Outcome]:
    for e in entries:
        why = secret_reason(e)
        if why is not None:
            yield fail(
                f"{where}: {e.name} holds a literal secret ({why})",
                e.location,
                Evidence.of(e.name, e.value),
                fix=Fix(FixAction.MANUAL, f"move {e.name} into a compose secret (a file)"),
            )


@rule(
    id="COMPOSE-001",
    slug="compose-env-literal-secret",
    title="A secret is written literally in a compose service's environment",
    control="keys.management",
    severity=Severity.HIGH,
    target=ComposeService,
    rationale="A compose file is committed and shared; its `environment:` values are also "
    "shown by `docker inspect` and inherited by every process in the container.",
    remediation="Declare the value as a compose secret (`secrets:` with `file:` or "
    "`environment:` taken from the deployer's shell) and read it from /run/secrets.",
    references=(COMPOSE_SECRETS,),
)
def compose_env_secret(svc: ComposeService, ctx: Context) -> Iterator[Outcome]:
    found = list(_literal_secrets(svc.environment, f"service {svc.name}"))
    yield from found
    if not found and svc.environment:
        yield passed("no literal secret in the service environment", svc.at())


@rule(
    id="COMPOSE-004",
    slug="env-file-literal-secret",
    title="An env file in the tree holds a literal secret",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=EnvFile,
    rationale="Env files are the usual way to keep secrets out of a compose file, but one "
    "that sits in the audited tree (a repository, an image context) is shared with it.",
    remediation="Keep env files with secrets out of the repository (or use compose secrets "
    "from files outside it) and rotate any secret committed.",
    references=(COMPOSE_SECRETS,),
)
def env_file_secret(env: EnvFile, ctx: Context) -> Iterator[Outcome]:
    found = list(_literal_secrets(env.entries, env.path))
    yield from found
    if not found and env.entries:
        yield passed("no literal secret in the env file", Location(path=env.path))


def _variable(svc: ComposeService, name: str) -> str:
    return next((e.value or "" for e in svc.environment if e.name == name), "").lower()


def _published(
    svc: ComposeService, ports: dict[int, str], protected: bool, what: str
) -> Iterator[Outcome]:
    exposed: list[tuple[PublishedPort, str]] = [
        (p, ports[p.target]) for p in svc.ports if p.target in ports
    ]
    for port, name in exposed:
        if protected:
            yield passed(f"{name} ({port.target}) is served over TLS", svc.at(port.line))
            continue
        if port.host_ip in ("127.0.0.1", "[::1]", "localhost"):
            yield passed(f"{name} ({port.target}) is published on loopback only", svc.at(port.line))
            continue
        yield fail(
            f"service {svc.name} publishes the {name} (container port {port.target}) on every "
            f"host interface; {what}",
            svc.at(port.line),
            Evidence.of("ports", f"{port.published or '(random)'}:{port.target}"),
            fix=Fix(
                FixAction.REPLACE,
                f"{port.published or ''}:{port.target}",
                f"127.0.0.1:{port.published or port.target}:{port.target}",
                svc.path,
            ),
        )


@rule(
    id="COMPOSE-002",
    slug="compose-spark-port-published",
    title="A compose service publishes a plain-text Spark port on every host interface",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=ComposeService,
    rationale="Spark's UIs, REST server and standalone RPC have no TLS and no authentication "
    "by default: published on 0.0.0.0 they are reachable by anyone on the host's networks.",
    remediation="Publish them on 127.0.0.1 (or not at all) and reach them through an "
    "authenticating TLS proxy; enable spark.ssl.* (SPARK_SSL_ENABLED=yes on Bitnami images).",
    references=(COMPOSE_PORTS,),
)
def compose_spark_ports(svc: ComposeService, ctx: Context) -> Iterator[Outcome]:
    tls = _variable(svc, "SPARK_SSL_ENABLED") in _YES
    yield from _published(svc, SPARK_PORTS, tls, "it serves plain HTTP/RPC without authentication")


@rule(
    id="COMPOSE-003",
    slug="compose-hadoop-port-published",
    title="A compose service publishes a plain-text Hadoop port on every host interface",
    control="hdfs.confidentiality",
    severity=Severity.MEDIUM,
    target=ComposeService,
    rationale="The NameNode, DataNode and YARN web UIs serve HTTP (and WebHDFS) and the "
    "NameNode RPC accepts simple authentication unless Kerberos is configured: published on "
    "0.0.0.0 they expose the file system to the host's networks.",
    remediation="Publish them on 127.0.0.1 only, set dfs.http.policy=HTTPS_ONLY "
    "(HDFS_CONF_dfs_http_policy) and Kerberos authentication.",
    references=(COMPOSE_PORTS,),
)
def compose_hadoop_ports(svc: ComposeService, ctx: Context) -> Iterator[Outcome]:
    https_only = _variable(svc, "HDFS_CONF_dfs_http_policy") == "https_only"
    yield from _published(svc, HADOOP_PORTS, https_only, "it serves HTTP / unauthenticated RPC")


@rule(
    id="COMPOSE-005",
    slug="compose-host-credentials-mounted",
    title="A compose service mounts the Docker socket or cluster credentials",
    control="keys.management",
    severity=Severity.HIGH,
    target=ComposeService,
    rationale="The Docker socket is root on the host; a kubeconfig or /etc/kubernetes holds "
    "cluster credentials. Any code running in the service gets them.",
    remediation="Remove the mount; give the service only the narrow credential it needs.",
    references=("https://docs.docker.com/engine/security/#docker-daemon-attack-surface",),
)
def compose_host_credentials(svc: ComposeService, ctx: Context) -> Iterator[Outcome]:
    for spec, line in svc.volumes:
        source = spec.split(":", 1)[0]
        if source.rstrip("/").startswith(_HOST_CREDENTIALS):
            yield fail(
                f"service {svc.name} mounts {source} from the host",
                svc.at(line),
                Evidence.of("volumes", spec),
                fix=Fix(FixAction.UNSET, spec, None, svc.path),
            )
