"""TEE rules (in use): enclave manifests (Gramine, Graphene, Occlum) and host probe reports
(keys: Gramine's manifest syntax, https://gramine.readthedocs.io/en/stable/manifest-syntax.html,
and Occlum's Occlum.json, https://occlum.readthedocs.io/en/latest/)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.booleans import Dialect, flag_of
from triplock.facts.kube import KubeSecret, NodeAccess, PodSpec, Volume
from triplock.facts.spark import SparkApp
from triplock.facts.tee import EnclaveFile, EnclaveManifest, Framework, HostTee
from triplock.inventory import Setting, is_templated
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.secret_classifier import credential_env, literal_secret

MANIFEST_DOC = "https://gramine.readthedocs.io/en/stable/manifest-syntax.html"
ATTESTATION_DOC = "https://gramine.readthedocs.io/en/stable/attestation.html"
OCCLUM_DOC = "https://occlum.readthedocs.io/en/latest/"
SGX_SETUP_DOC = "https://gramine.readthedocs.io/en/stable/sgx-setup.html"

# Where code lives: interpreters, JDK, Spark and Python libraries, shared objects, scripts.
_CODE_PATH = re.compile(
    r"(\.so(\.\d+)*$|\.jar$|\.py[cw]?$|\.class$|\.war$|\.sh$|\.js$|\.rb$|\.pl$|"
    r"(^|/)(lib|lib64|bin|sbin|jars|libexec|site-packages|dist-packages)(/|$)|"
    r"(^|/)(jvm|jdk[\w.\-]*|jre[\w.\-]*|java[\w.\-]*|spark[\w.\-]*|python\d[\w.]*|pyspark)(/|$)|"
    r"^/?$|^/(usr|opt)/?$)"
)
# Gramine template variables that always name code: the runtime, libc, Python's library.
_CODE_TEMPLATE = re.compile(
    r"\{\{\s*(gramine\.(runtimedir|libos)|arch_libdir|python\.(stdlib|distlib|get_sys_path)|"
    r"entrypoint|execdir|graphene\.(runtimedir|libos))"
)
_SECRET_PATH = re.compile(
    r"(?i)(kubeconfig|\.kube(/|$)|/var/run/secrets|/run/secrets|secret|passw|token|credential|"
    r"(^|/)keys?(/|$)|keytab|id_rsa|id_ecdsa|id_ed25519|\.pem$|\.key$|\.jks$|\.p12$|\.pfx$|"
    r"keystore|truststore|\.aws/|\.ssh/|\.netrc$)"
)
_SEALING_KEYS = {"_sgx_mrenclave", "_sgx_mrsigner", "sealing"}


_DIALECT = {
    Framework.GRAMINE: Dialect.GRAMINE,
    Framework.GRAPHENE: Dialect.GRAPHENE,
    Framework.OCCLUM: Dialect.OCCLUM,
}


def _truth(m: EnclaveManifest, setting: Setting | None) -> bool | None:
    """A manifest switch as its framework reads it; None when unset, templated or not one."""
    return flag_of(setting, None, _DIALECT[m.framework])


def _path(uri: str) -> str:
    return uri.split(":", 1)[1] if re.match(r"^(file|dev):", uri) else uri


@rule(
    id="TEE-001",
    slug="tee-debug-enclave",
    title="Enclave is built as a debug enclave",
    control="use.tee",
    severity=Severity.CRITICAL,
    target=EnclaveManifest,
    rationale="A debug enclave's memory can be read and changed by the host with a debugger "
    "(SGX DEBUG attribute): it protects nothing. Graphene signed debug enclaves unless told "
    "otherwise; Occlum's `occlum init` template sets debuggable to true.",
    remediation="Set sgx.debug = false (Gramine/Graphene) or metadata.debuggable = false "
    "(Occlum.json), re-sign, and let attestation reject debug enclaves.",
    references=(MANIFEST_DOC + "#debug-enclave", OCCLUM_DOC),
)
def debug_enclave(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    key = "metadata.debuggable" if m.framework is Framework.OCCLUM else "sgx.debug"
    setting = m.get(key)
    value = _truth(m, setting)
    fix = Fix(FixAction.SET, key, "false", m.path)
    if setting is None and m.framework is Framework.GRAPHENE:
        yield fail(f"{key} is unset: Graphene signs debug enclaves by default", m.origin, fix=fix)
    elif setting is None and m.framework is Framework.OCCLUM:
        yield unknown(f"{key} is unset; cannot tell whether the enclave is debuggable", m.origin)
    elif setting is None:
        yield passed(f"{key} is unset (Gramine default false): production enclave", m.origin)
    elif value is None:
        yield unknown(
            f"{key} is templated or not a boolean; cannot tell whether the enclave is a debug one",
            setting.location,
            Evidence.of(key, setting.value),
        )
    elif value:
        yield fail(
            f"{key} is true: the host can read and modify enclave memory",
            setting.location,
            Evidence.of(key, setting.value),
            fix=fix,
        )
    else:
        yield passed(f"{key} is false: production enclave", setting.location)


@rule(
    id="TEE-002",
    slug="tee-insecure-option",
    title="Manifest enables an insecure__ option",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="Gramine names every option that breaks its security model insecure__: host "
    "environment or command-line arguments fed into the enclave, disabled ASLR, hard-coded "
    "encryption keys, unprotected eventfd. Each lets the untrusted host steer the enclave.",
    remediation="Remove every insecure__ option; pass arguments and environment in the "
    "manifest (measured) or through secret provisioning after attestation.",
    references=(MANIFEST_DOC,),
)
def insecure_option(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    if m.framework is Framework.OCCLUM:
        return
    found = False
    for key, setting in m.settings.items():
        if "insecure__" not in key:
            continue
        value = _truth(m, setting)
        if value is False or (value is None and not setting.templated and not setting.value):
            continue
        found = True
        if setting.templated:
            yield unknown(f"{key} is templated", setting.location, Evidence.of(key, setting.value))
            continue
        yield fail(
            f"{key} is set: an insecure option is on",
            setting.location,
            Evidence.of(key, setting.value),
            fix=Fix(FixAction.UNSET, key, path=m.path),
        )
    if not found:
        yield passed("no insecure__ option is set", m.origin)


@rule(
    id="TEE-003",
    slug="tee-file-check-not-strict",
    title="sgx.file_check_policy lets unlisted files in",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="With allow_all_but_log the enclave opens any host file that is neither trusted "
    "nor allowed, unverified: the host can substitute code or data at will.",
    remediation='Set sgx.file_check_policy = "strict" and list every file the enclave needs.',
    references=(MANIFEST_DOC + "#file-check-policy",),
)
def file_check_policy(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    if m.framework is Framework.OCCLUM:
        return
    key = "sgx.file_check_policy"
    setting = m.get(key)
    if setting is None:
        yield passed(f"{key} is unset (default strict)", m.origin)
    elif setting.templated:
        yield unknown(f"{key} is templated", setting.location, Evidence.of(key, setting.value))
    elif setting.value.strip() == "strict":
        yield passed(f"{key} is strict", setting.location)
    else:
        yield fail(
            f"{key} is {setting.value.strip()}: files outside the manifest are opened unverified",
            setting.location,
            Evidence.of(key, setting.value),
            fix=Fix(FixAction.SET, key, "strict", m.path),
        )


@rule(
    id="TEE-004",
    slug="tee-code-in-allowed-files",
    title="Code or libraries are loaded from allowed (unmeasured) files",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="sgx.allowed_files (and Occlum hostfs mounts) are passed through without any "
    "integrity check. The JDK, Python, Spark jars and the application itself must be "
    "sgx.trusted_files, hashed into the enclave measurement, or the host can swap them.",
    remediation="Move code and libraries to sgx.trusted_files (or the Occlum image); keep "
    "allowed files for data that is authenticated by other means.",
    references=(MANIFEST_DOC + "#allowed-files",),
)
def code_in_allowed_files(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    found = False
    for f in m.allowed_files:
        where = f.target or _path(f.uri)
        code = not f.templated and not where.startswith("/etc/") and _CODE_PATH.search(where)
        if _CODE_TEMPLATE.search(f.uri) or code:
            found = True
            yield fail(
                f"{where} holds code but is an allowed file: it is not measured",
                f.location,
                Evidence.of("sgx.allowed_files", f.uri),
                fix=Fix(FixAction.MANUAL, f"move {f.uri} to sgx.trusted_files", path=m.path),
            )
        elif f.templated:
            found = True
            yield unknown(
                "an allowed file is templated; cannot tell whether it holds code",
                f.location,
                Evidence.of("sgx.allowed_files", f.uri),
            )
    if not found:
        yield passed("no code or library among the allowed (unmeasured) files", m.origin)


# Directories that hold a service's data: database data dirs, /data, Spark's local dirs
# (shuffle and spill files; /tmp by default), HDFS block and name dirs.
_DATA_DIR = re.compile(
    r"(?i)(^|/)(data|datadir|db|database|warehouse|spark-local[\w.-]*|local-dirs?|blockmgr[\w-]*|"
    r"spark-scratch|tmp)(/|$)|^/var/lib/(mysql|postgresql|pgsql|redis|mongodb|mariadb|cassandra|"
    r"kafka|zookeeper|elasticsearch)(/|$)|^/hadoop/dfs(/|$)"
)


def _local_dirs(ctx: Context) -> list[str]:
    """The spark.local.dir directories of the applications among the inputs."""
    dirs: list[str] = []
    for app in ctx.inventory.of(SparkApp):
        s = app.get("spark.local.dir")
        if s is not None and not s.templated:
            dirs += [d.strip().rstrip("/") for d in s.value.split(",") if d.strip()]
    return [d for d in dirs if d]


@rule(
    id="TEE-009",
    slug="tee-data-in-allowed-files",
    title="Data directories are allowed files: the data is stored unprotected",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    reads_inventory=True,
    rationale="sgx.allowed_files are read and written in clear and without integrity: a "
    "database's data directory, /data or Spark's local dirs (shuffle and spill files, /tmp by "
    "default) listed there leave the enclave's data readable and modifiable by the host.",
    remediation='Mount data directories as encrypted files (Gramine `type = "encrypted"` '
    "mounts, Occlum's encrypted SEFS) keyed after attestation; never list them as allowed files.",
    references=(MANIFEST_DOC + "#allowed-files",),
)
def data_in_allowed_files(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    local_dirs = _local_dirs(ctx)
    found = False
    for f in m.allowed_files:
        if f.templated:
            continue
        where = (f.target or _path(f.uri)).rstrip("/") or "/"
        spark_local = any(where == d or where.startswith(d + "/") for d in local_dirs)
        if spark_local or _DATA_DIR.search(where):
            found = True
            what = "a Spark local dir (spark.local.dir)" if spark_local else "a data directory"
            yield fail(
                f"{where} is {what} passed as an allowed file: its data is stored unencrypted "
                "and unauthenticated",
                f.location,
                Evidence.of("sgx.allowed_files", f.uri),
                fix=Fix(FixAction.MANUAL, f"mount {where} as an encrypted mount", path=m.path),
            )
    if not found and m.allowed_files:
        yield passed("no data directory among the allowed files", m.origin)


def _secret_file(f: EnclaveFile) -> bool:
    return any(_SECRET_PATH.search(p) for p in (_path(f.uri), f.target or "") if p)


@rule(
    id="TEE-005",
    slug="tee-secret-from-host",
    title="Secrets or kubeconfigs reach the enclave from the untrusted host",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="Allowed files and host environment variables come from the host unverified and "
    "in clear: a key, token or kubeconfig passed that way is readable (and replaceable) by the "
    "host the TEE is meant to protect against. Secrets belong in encrypted files keyed after "
    "attestation, or in secret provisioning.",
    remediation="Provision secrets after remote attestation (Gramine secret provisioning, an "
    "attested KMS) or through encrypted mounts; do not pass them as allowed files or host env.",
    references=(ATTESTATION_DOC,),
)
def secret_from_host(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    found = False
    for f in m.allowed_files:
        if _secret_file(f):
            found = True
            yield fail(
                f"{f.target or _path(f.uri)} looks like a secret, read from the host in clear",
                f.location,
                Evidence.of("sgx.allowed_files", f.uri),
            )
    for env in m.env:
        if env.from_host and credential_env(env.name):
            found = True
            yield fail(
                f"environment variable {env.name} is taken from the host",
                env.location,
                Evidence.of(env.name, None),
            )
    if not found:
        yield passed("no secret or kubeconfig is taken from the host", m.origin)


@rule(
    id="TEE-006",
    slug="tee-no-dcap-attestation",
    title="Remote attestation is off or not DCAP",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="Without remote attestation nobody can verify that the enclave runs the measured "
    "code on genuine, up-to-date hardware before giving it secrets. EPID attestation was "
    "retired by Intel (IAS end of life); DCAP is the supported scheme.",
    remediation='Set sgx.remote_attestation = "dcap" and release secrets only after '
    "verifying the quote (MRENCLAVE/MRSIGNER, debug bit, TCB status).",
    references=(ATTESTATION_DOC,),
)
def remote_attestation(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    if m.framework is Framework.OCCLUM:
        return  # Occlum attests from the application (init RA, gRPC-RA-TLS), not in Occlum.json
    key = "sgx.remote_attestation"
    setting = m.get(key)
    fix = Fix(FixAction.SET, key, "dcap", m.path)
    if setting is None:
        yield fail(f"{key} is unset: no remote attestation", m.origin, fix=fix)
        return
    if setting.templated:
        yield unknown(f"{key} is templated", setting.location, Evidence.of(key, setting.value))
        return
    value = setting.value.strip().lower()
    spid = m.get("sgx.ra_client_spid")
    if _truth(m, setting):  # Gramine < 1.4: a SPID selects EPID, its absence DCAP
        value = "epid" if spid is not None and spid.value.strip() else "dcap"
    ev = Evidence.of(key, setting.value)
    if value == "dcap":
        yield passed(f"{key} is DCAP", setting.location)
    elif value == "epid":
        yield fail(
            f"{key} is EPID: a retired attestation service",
            setting.location,
            ev,
            fix=fix,
            severity=Severity.MEDIUM,
        )
    else:
        yield fail(
            f"{key} is {setting.value.strip()}: no remote attestation",
            setting.location,
            ev,
            fix=fix,
        )


@rule(
    id="TEE-007",
    slug="tee-encrypted-mount-key",
    title="Encrypted files are keyed to neither a sealing nor a provisioned key",
    control="use.tee",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="An encrypted mount protects data only if its key never leaves TEEs: a sealing "
    "key (_sgx_mrenclave, _sgx_mrsigner) or a key provisioned after attestation. A key written "
    "into the manifest (fs.insecure__keys, protected_files_key, an Occlum SEFS key) is known "
    "to everyone who can read the manifest.",
    remediation='Use key_name = "_sgx_mrenclave" / "_sgx_mrsigner", or provision the key '
    "after attestation (secret provisioning writes /dev/attestation/keys/<name>).",
    references=(MANIFEST_DOC + "#encrypted-files",),
)
def encrypted_mount_key(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    provisioned = {
        env.value or "default" for env in m.env if env.name.startswith("SECRET_PROVISION_SET")
    }
    for mount in m.mounts:
        if mount.key_name is None:
            continue
        literal = _literal_key_for(m, mount.key_name)
        ev = Evidence.of("key_name", mount.key_name)
        if literal is not None:
            yield fail(
                f"encrypted mount {mount.path} uses a key written into the manifest "
                f"({literal.key})",
                mount.location,
                ev,
            )
        elif mount.templated and "{{" in mount.key_name:
            yield unknown(
                f"the key of encrypted mount {mount.path} is templated", mount.location, ev
            )
        elif mount.key_name in _SEALING_KEYS:
            yield passed(f"encrypted mount {mount.path} uses a sealing key", mount.location, ev)
        elif mount.key_name in provisioned:
            yield passed(
                f"encrypted mount {mount.path} uses a key provisioned after attestation",
                mount.location,
                ev,
            )
        else:
            yield unknown(
                f"encrypted mount {mount.path} uses key {mount.key_name!r}: provisioned at run "
                "time by the application, or nowhere? The manifest does not say",
                mount.location,
                ev,
            )


def _literal_key_for(m: EnclaveManifest, key_name: str) -> Setting | None:
    for candidate in (key_name, f"fs.insecure__keys.{key_name}"):
        if candidate in m.literal_keys:
            return m.literal_keys[candidate]
    if key_name in ("default", "protected_files_key"):  # the wrap key of old protected files
        return next((s for k, s in m.literal_keys.items() if "protected_files_key" in k), None)
    return None


@rule(
    id="TEE-008",
    slug="tee-literal-secret-in-manifest",
    title="A secret is written into the enclave manifest",
    control="keys.management",
    severity=Severity.HIGH,
    target=EnclaveManifest,
    rationale="A manifest is measured, not secret: it ships next to the enclave, in images "
    "and repositories. Keys and passwords written into it (env values, fs.insecure__keys) are "
    "readable by anyone who has the file.",
    remediation="Provision secrets after remote attestation; never write them into the manifest.",
    references=(ATTESTATION_DOC,),
)
def literal_secret_in_manifest(m: EnclaveManifest, ctx: Context) -> Iterator[Outcome]:
    found = False
    for key, setting in m.literal_keys.items():
        if setting.templated:
            continue
        found = True
        yield fail(f"{key} holds a literal key", setting.location, Evidence.of(key, setting.value))
    for env in m.env:
        if env.from_host or env.templated or not env.value:
            continue
        if env.name.startswith("SECRET_PROVISION_"):
            continue  # Gramine's secret-provisioning settings name servers and keys, hold none
        verdict = literal_secret(env.name, env.value)
        if verdict is None:
            continue
        found = True
        yield fail(
            f"environment variable {env.name} has a literal secret value{verdict.default_note()}",
            env.location,
            Evidence.of(env.name, env.value),
        )
    if not found:
        yield passed("no literal secret in the manifest", m.origin)


@rule(
    id="TEE-040",
    slug="tee-host-without-tee",
    title="A host that runs the workload offers no TEE",
    control="use.tee",
    severity=Severity.HIGH,
    target=HostTee,
    rationale="The guide's third lock: data is decrypted to compute on it, so the computation "
    "must run in a TEE (SGX enclave, TDX or SEV-SNP confidential VM). A node without one "
    "exposes data in use to whoever controls it.",
    remediation="Schedule confidential workloads only on SGX nodes (device plugin, node "
    "labels) or in TDX/SEV-SNP confidential VMs, and enable SGX/TDX in the BIOS and kernel.",
    references=(SGX_SETUP_DOC,),
)
def host_without_tee(host: HostTee, ctx: Context) -> Iterator[Outcome]:
    ev = Evidence.of("tees", ",".join(host.tees) or "none")
    if host.tees:
        yield passed(f"{host.hostname} offers {', '.join(host.tees)}", host.location, ev)
        return
    detail = (
        "the CPU reports SGX but no SGX device node exists"
        if host.sgx_cpu
        else ("no SGX device or flag, no TDX or SEV-SNP guest device")
    )
    yield fail(f"{host.hostname} offers no TEE: {detail}", host.location, ev)


@rule(
    id="TEE-041",
    slug="tee-sgx-host-incomplete",
    title="SGX host lacks what DCAP attestation needs",
    control="use.tee",
    severity=Severity.MEDIUM,
    target=HostTee,
    rationale="Gramine and Occlum need the in-kernel driver (Linux 5.11+, /dev/sgx_enclave), "
    "flexible launch control (cpuinfo sgx_lc), the provisioning device for DCAP quotes "
    "(/dev/sgx_provision) and the AESM service socket. Without them enclaves run only with "
    "legacy drivers and EPID, or cannot be attested at all.",
    remediation="Use a CPU and BIOS with SGX flexible launch control, Linux 5.11+, install "
    "the Intel SGX PSW/DCAP (aesmd, sgx-dcap-pccs) and expose /dev/sgx_provision to enclaves.",
    references=(SGX_SETUP_DOC,),
)
def sgx_host_incomplete(host: HostTee, ctx: Context) -> Iterator[Outcome]:
    if host.libos is not None or (not host.sgx_cpu and host.sgx_enclave_device is None):
        return  # not SGX, or inside a library OS that hides the host's devices
    missing = []
    if not host.sgx_launch_control:
        missing.append("flexible launch control (cpuinfo sgx_lc)")
    device = host.sgx_enclave_device
    if device is None:
        missing.append("an SGX driver (/dev/sgx_enclave)")
    elif device == "/dev/isgx":
        missing.append("the in-kernel SGX driver (only the legacy /dev/isgx exists)")
    if host.sgx_provision_device is None:
        missing.append("the provisioning device (/dev/sgx_provision)")
    if not host.aesm_socket:
        missing.append("the AESM service socket")
    if missing:
        yield fail(
            f"{host.hostname} lacks {'; '.join(missing)}",
            host.location,
            Evidence.of("devices", ",".join(host.devices) or "none"),
        )
    else:
        yield passed(
            f"{host.hostname} has SGX with launch control, driver, DCAP provisioning and AESM",
            host.location,
        )


# ---- TEE settings of workloads (Kubernetes pod specs, Secrets, Spark env) -------------------

SGX_PLUGIN_DOC = "https://intel.github.io/intel-device-plugins-for-kubernetes/cmd/sgx_plugin/"
COCO_DOC = "https://confidentialcontainers.org/docs/"

_SGX_DEVICE = re.compile(r"^/dev/(sgx(_enclave|_provision|/.*)?|isgx)/?$")
_SGX_COMMAND = re.compile(r"gramine-sgx|occlum\s+run|\bsgx_mode\b", re.IGNORECASE)
_CONFIDENTIAL_RUNTIME = re.compile(r"(?i)(tdx|snp|sev|coco|kata-cc|confidential|enclave-cc)")
_TEE_SWITCH = re.compile(r"(?i)(attest|(^|_)ra(_|$)|sgx|tdx|tee(_|$)|enclave)")
_OFF_VALUE = {"false", "0", "no", "off", "disable", "disabled", "none", "sim", "simulation"}
_ON_VALUE = {"true", "1", "yes", "on", "enable", "enabled", "hw", "hardware", "dcap"}
_SIGNING_KEY = re.compile(
    r"(?i)(enclave[-_.]?(signing[-_.]?)?key|sgx[-_.]?(signing[-_.]?)?(private[-_.]?)?key|"
    r"(enclave|sgx|mrsigner)[-_.]?(sign|signer)[-_.]?(ing[-_.])?key|signing[-_.]?key\.pem)"
)
_SIGN_COMMAND = re.compile(
    r"gramine-sgx-sign|gramine-sgx-gen-private-key|graphene-sgx-sign|pal-sgx-sign|\bsgx_sign\b|"
    r"occlum\s+build"
)


def _sgx_volumes(pod: PodSpec) -> list[Volume]:
    return [v for v in pod.volumes if v.kind == "hostPath" and _SGX_DEVICE.match(v.source or "")]


def _needs_sgx(pod: PodSpec, node: NodeAccess) -> bool:
    return bool(
        _sgx_volumes(pod)
        or any(r.startswith("sgx.intel.com/") for _, r, _ in node.resources)
        or any("sgx" in k.lower() for k, _ in node.node_selector)
        or any(_SGX_COMMAND.search(" ".join(c.command)) for c in pod.containers)
        or any(
            e.name.upper() in ("SGX_MODE", "SGX_ENABLED", "SGX_ENABLE")
            for c in pod.containers
            for e in c.env
            if (e.value or "").lower() not in _OFF_VALUE
        )
    )


@rule(
    id="TEE-020",
    slug="tee-sgx-privileged-pod",
    title="Pod reaches SGX through privileged mode or a hostPath device",
    control="use.tee",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="privileged: true hands the container every host device and capability, and a "
    "hostPath /dev/sgx* mount bypasses the scheduler's accounting of EPC memory: the pod that "
    "should be shielded from the node gets power over it. The Intel SGX device plugin exposes "
    "exactly the enclave (and provision) devices to pods that request sgx.intel.com/epc.",
    remediation="Remove privileged and the /dev/sgx* hostPath volumes; request "
    "sgx.intel.com/epc (and sgx.intel.com/enclave, sgx.intel.com/provision for DCAP) "
    "from the SGX device plugin.",
    references=(SGX_PLUGIN_DOC,),
)
def sgx_privileged_pod(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    node = pod.node
    if not _needs_sgx(pod, node):
        return
    bad = False
    for v in _sgx_volumes(pod):
        bad = True
        yield fail(
            f"volume {v.name} mounts the host's {v.source} instead of the SGX device plugin",
            pod.at(v.line),
            Evidence.of("hostPath", v.source),
        )
    for name, line, target in node.privileged:
        bad = True
        yield fail(
            f"container {name} of an SGX workload runs privileged",
            pod.at(line),
            Evidence.of("privileged", "true"),
            fix=Fix(FixAction.UNSET, target, path=pod.owner.path)
            if target is not None
            else Fix(FixAction.MANUAL, f"remove securityContext.privileged from {name}"),
        )
    if bad:
        return
    epc = [(c, r, line) for c, r, line in node.resources if r == "sgx.intel.com/epc"]
    if epc:
        yield passed(
            f"container {epc[0][0]} requests SGX EPC from the device plugin", pod.at(epc[0][2])
        )
    else:
        yield unknown(
            "an SGX workload requests no sgx.intel.com/epc: how does it get the SGX device?",
            pod.at(),
        )


def _tdx_signals(node: NodeAccess) -> bool:
    return bool(
        any(r.startswith("tdx.intel.com/") for _, r, _ in node.resources)
        or any("tdx" in f"{k}={v}".lower() for k, v in node.node_selector)
        or (node.runtime_class is not None and "tdx" in node.runtime_class.lower())
    )


@rule(
    id="TEE-021",
    slug="tee-tdx-without-runtimeclass",
    title="TDX workload without a confidential RuntimeClass",
    control="use.tee",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="Scheduling a pod on a TDX node does not make it confidential: only a "
    "confidential-containers runtime (e.g. kata-qemu-tdx) starts it inside a Trust Domain. "
    "With the default runtime it runs as an ordinary container on the host.",
    remediation="Set runtimeClassName to the confidential RuntimeClass of the cluster "
    "(kata-qemu-tdx, kata-qemu-snp, ...) installed by the Confidential Containers operator.",
    references=(COCO_DOC,),
)
def tdx_without_runtimeclass(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    node = pod.node
    if not _tdx_signals(node):
        return
    rc = node.runtime_class
    where = pod.at(node.runtime_class_line)
    if rc is not None and is_templated(rc):
        yield unknown("runtimeClassName is templated", where, Evidence.of("runtimeClassName", rc))
    elif rc is not None and _CONFIDENTIAL_RUNTIME.search(rc):
        yield passed(f"runs in the confidential runtime {rc}", where)
    else:
        yield fail(
            "a TDX workload runs "
            + (f"in the non-confidential runtime {rc}" if rc else "in the default runtime"),
            where,
            *([Evidence.of("runtimeClassName", rc)] if rc else []),
            fix=Fix(FixAction.SET, "runtimeClassName", "kata-qemu-tdx", pod.owner.path),
        )


def _switch(name: str, value: str | None, templated: bool) -> str | None:
    """ "on" / "off" for a TEE or attestation switch, "templated", or None: not a switch."""
    if value is None or not _TEE_SWITCH.search(name):
        return None
    if templated:
        return "templated"
    v = value.strip().lower()
    on, off = (_OFF_VALUE, _ON_VALUE) if "debug" in name.lower() else (_ON_VALUE, _OFF_VALUE)
    return "on" if v in on else "off" if v in off else None


@rule(
    id="TEE-022",
    slug="tee-attestation-switched-off",
    title="An environment switch turns attestation or SGX off",
    control="use.tee",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="Images built for TEEs commonly take switches such as ATTESTATION=false, "
    "SGX_ENABLED=false or SGX_MODE=SIM: the workload then runs outside the enclave, or inside "
    "it without anyone verifying what runs, while the deployment looks confidential.",
    remediation="Set the switches on (ATTESTATION=true, SGX_ENABLED=true, hardware mode) and "
    "fail closed when attestation fails.",
    references=(ATTESTATION_DOC,),
)
def attestation_switched_off(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    for c in pod.containers:
        for e in c.env:
            state = _switch(e.name, e.value, e.templated)
            if state is None:
                continue
            where = pod.at(e.line)
            ev = Evidence.of(e.name, e.value)
            if state == "templated":
                yield unknown(f"{e.name} in container {c.name} is templated", where, ev)
            elif state == "on":
                yield passed(f"{e.name} in container {c.name} keeps the TEE on", where, ev)
            else:
                yield fail(
                    f"{e.name} in container {c.name} switches the TEE or attestation off",
                    where,
                    ev,
                    fix=Fix(
                        FixAction.SET,
                        f"containers[{c.name}].env[{e.name}].value",
                        "HW" if e.name.upper() == "SGX_MODE" else "true",
                        pod.owner.path,
                    ),
                )


@rule(
    id="TEE-023",
    slug="tee-spark-attestation-switched-off",
    title="Spark configuration turns attestation or SGX off",
    control="use.tee",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="The same switches reach Spark pods as spark.kubernetes.driverEnv.* / "
    "spark.executorEnv.* settings, or as TEE options of the Spark image "
    "(spark.kubernetes.sgx.enabled and similar).",
    remediation="Set the switches on in the Spark configuration, or drop them.",
    references=(ATTESTATION_DOC,),
)
def spark_attestation_switched_off(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for key, s in app.settings.items():
        if key.startswith(("spark.kubernetes.driverEnv.", "spark.executorEnv.")):
            name = key.rsplit(".", 1)[1]
        elif re.search(r"(?i)(sgx|attestation|tdx|enclave)", key):
            name = key
        else:
            continue
        state = _switch(name, s.value, s.templated)
        if state is None:
            continue
        ev = Evidence.of(key, s.value)
        if state == "templated":
            yield unknown(f"{key} is templated", s.location, ev)
        elif state == "on":
            yield passed(f"{key} keeps the TEE on", s.location, ev)
        else:
            yield fail(
                f"{key} switches the TEE or attestation off",
                s.location,
                ev,
                fix=Fix(FixAction.SET, key, "true", s.location.path),
            )


@rule(
    id="TEE-024",
    slug="tee-signing-key-in-secret",
    title="An enclave signing key is shipped in a Kubernetes Secret",
    control="use.tee",
    severity=Severity.HIGH,
    target=KubeSecret,
    rationale="The enclave signing key defines MRSIGNER: whoever holds it can sign any code "
    "that attestation policies and MRSIGNER-sealed data accept as yours. It belongs offline or "
    "in an HSM of the build pipeline, never in the cluster the enclaves run in.",
    remediation="Sign enclaves at build time with a key held in an HSM/KMS; ship only the "
    "signed enclave (.sig / SIGSTRUCT) and delete the Secret.",
    references=("https://gramine.readthedocs.io/en/stable/manpages/gramine-sgx-sign.html",),
)
def signing_key_in_secret(secret: KubeSecret, ctx: Context) -> Iterator[Outcome]:
    for entry in secret.entries:
        if entry.embedded_in is None and _SIGNING_KEY.search(entry.key):
            yield fail(
                f"{secret.ref.label} holds an enclave signing key ({entry.key})",
                secret.ref.at(entry.line),
                Evidence.of(entry.key, entry.value),
            )


@rule(
    id="TEE-025",
    slug="tee-signing-in-pod",
    title="A pod signs enclaves or carries the enclave signing key",
    control="use.tee",
    severity=Severity.HIGH,
    target=PodSpec,
    rationale="A container that runs gramine-sgx-sign or occlum build at start-up has the "
    "signing key in its image or mounts: every node that runs it holds the key that MRSIGNER "
    "attestation trusts. (occlum build without --sign-key even signs with a public test key.)",
    remediation="Sign at build time outside the cluster; ship the signed enclave.",
    references=("https://gramine.readthedocs.io/en/stable/manpages/gramine-sgx-sign.html",),
)
def signing_in_pod(pod: PodSpec, ctx: Context) -> Iterator[Outcome]:
    for c in pod.containers:
        command = " ".join(c.command)
        m = _SIGN_COMMAND.search(command)
        if m:
            line = c.command_lines[0] if c.command_lines else c.line
            yield fail(
                f"container {c.name} runs {m.group(0)}: the signing key is in the pod",
                pod.at(line),
                Evidence.of("command", m.group(0)),
            )
        for mount in c.mounts:
            if _SIGNING_KEY.search(mount.mount_path):
                yield fail(
                    f"container {c.name} mounts an enclave signing key at {mount.mount_path}",
                    pod.at(mount.line),
                )
        for e in c.env:
            if _SIGNING_KEY.search(e.name):
                yield fail(
                    f"container {c.name} receives an enclave signing key in {e.name}",
                    pod.at(e.line),
                    Evidence.of(e.name, e.value),
                )
