"""The checklist of the "Secure Your Services" guide: one control id per item, in its words."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("transit", "rest", "use", "keys", "hdfs", "spark", "k8s")

STAGE_TITLES = {
    "transit": "In transit (network)",
    "rest": "At rest (storage)",
    "use": "In use (computation)",
    "keys": "Keys and secrets",
    "hdfs": "HDFS",
    "spark": "Spark",
    "k8s": "Kubernetes",
}


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    stage: str
    asks: str
    assessed_by: str


_CONTROLS = (
    Control(
        "transit.tls",
        "transit",
        "Ensure all network traffic is fully protected: TLS is commonly used.",
        "Spark conf, Hadoop *-site.xml, or live endpoints (triplock scan)",
    ),
    Control(
        "transit.tls.certificate",
        "transit",
        "The server provides a private key and a complete certificate chain "
        "(with two or more certificates built).",
        "certificates and keystores, or live endpoints (triplock scan)",
    ),
    Control(
        "transit.tls.protocol",
        "transit",
        "Secure SSL/TLS protocol versions.",
        "Spark/Hadoop TLS settings, or live endpoints (triplock scan)",
    ),
    Control(
        "transit.tls.cipher",
        "transit",
        "Secure cipher suites.",
        "Spark/Hadoop TLS settings, or live endpoints (triplock scan)",
    ),
    Control(
        "transit.tls.key-exchange",
        "transit",
        "Use forward secrecy and strong key exchange.",
        "live endpoints (triplock scan)",
    ),
    Control(
        "transit.tls.performance",
        "transit",
        "Mitigate TLS performance costs with session resumption, caching, etc.",
        "live endpoints (triplock scan)",
    ),
    Control(
        "rest.storage",
        "rest",
        "Each storage node and the whole storage system are secured (network, access control, "
        "authentication); HDFS, Ceph, AWS S3 data encrypted.",
        "Hadoop core-site.xml, spark.hadoop.fs.s3a.* settings, ceph.conf or Rook resources",
    ),
    Control(
        "rest.hdfs-encryption",
        "rest",
        "When storing sensitive data in HDFS, enable Transparent Encryption in HDFS: all data "
        "blocks are encrypted on data nodes.",
        "Hadoop core-site.xml / hdfs-site.xml / kms-site.xml",
    ),
    Control(
        "rest.spark-local",
        "rest",
        "Enable Spark Local Storage Encryption to protect local temp data.",
        "spark-defaults.conf, spark-submit scripts or SparkApplication sparkConf",
    ),
    Control(
        "rest.k8s-secrets",
        "rest",
        "Enable Encrypting Secret Data at Rest to protect data in rest API.",
        "EncryptionConfiguration and the kube-apiserver manifest, or etcd (triplock verify --etcd)",
    ),
    Control(
        "use.tee",
        "use",
        "Computation runs in a TEE (SGX/TDX), correctly enabled: no debug enclaves, attestation "
        "on, code measured.",
        "Gramine/Occlum manifests, pod specs, or host probes (triplock probe)",
    ),
    Control(
        "keys.management",
        "keys",
        "Generate, use and manage keys the right way; use a Key Management Service (KMS): "
        "secrets never literal in configuration or command lines, a KMS with tight ACLs.",
        "any configuration that carries secrets; kms-acls.xml",
    ),
    Control(
        "keys.tls-material",
        "keys",
        "SSL & TLS keys correctly configured and stored: private keys, keystores and their "
        "passwords not literal, not world-readable, mounted from Secrets.",
        "keystores, private keys and the settings that point to them",
    ),
    Control(
        "hdfs.authentication",
        "hdfs",
        "HDFS authentication is correctly configured: it relies on Kerberos.",
        "Hadoop core-site.xml",
    ),
    Control(
        "hdfs.access-control",
        "hdfs",
        "HDFS access control is correctly configured (authorization, permissions, ACLs, "
        "block tokens).",
        "Hadoop core-site.xml / hdfs-site.xml",
    ),
    Control(
        "hdfs.confidentiality",
        "hdfs",
        "Enable data confidentiality for the network: protects RPC, block transfer and HTTP.",
        "Hadoop core-site.xml / hdfs-site.xml",
    ),
    Control(
        "spark.authentication",
        "spark",
        "Ensure spark.authenticate is enabled (and its secret distributed safely).",
        "spark-defaults.conf, spark-submit scripts, SparkApplication sparkConf, or the RPC port "
        "(triplock verify)",
    ),
    Control(
        "spark.encryption",
        "spark",
        "Ensure Spark network crypto is enabled (AES-based or TLS RPC encryption).",
        "spark-defaults.conf, spark-submit scripts or SparkApplication sparkConf",
    ),
    Control(
        "spark.ui-tls",
        "spark",
        "Enable SSL to secure the Spark web UI (and history server).",
        "spark-defaults.conf, spark-submit scripts, SparkApplication sparkConf, or the running "
        "UI (triplock verify)",
    ),
    Control(
        "spark.kerberos",
        "spark",
        "Enable Kerberos related settings if you have a Kerberos service.",
        "spark-defaults.conf, spark-submit scripts or SparkApplication sparkConf",
    ),
    Control(
        "spark.access-control",
        "spark",
        "Beyond the guide: the Spark UI and REST endpoints require authentication filters "
        "and ACLs.",
        "spark-defaults.conf, spark-submit scripts, SparkApplication sparkConf, or the running "
        "UIs and REST servers (triplock verify)",
    ),
    Control(
        "k8s.rbac",
        "k8s",
        "Enable RBAC so that cluster users and workloads have only access to resources required "
        "to execute their roles.",
        "Kubernetes Role/ClusterRole/bindings and the kube-apiserver manifest",
    ),
    Control(
        "k8s.secrets",
        "k8s",
        "When mounting keys and sensitive configuration into pods, use Kubernetes Secrets.",
        "Kubernetes workload manifests, ConfigMaps and Secrets",
    ),
)

CONTROLS: dict[str, Control] = {c.id: c for c in _CONTROLS}
