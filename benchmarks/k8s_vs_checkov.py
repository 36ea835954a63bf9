"""triplock vs Checkov on the same Kubernetes manifests: wall time and peak memory.

    python benchmarks/k8s_vs_checkov.py [-n 2000] [--runs 1] [--dump]

With --dump the same manifests are one file, a `kind: List` of every object as
`kubectl get ... -o yaml` writes a cluster dump (its size printed; triplock is given a
--max-file-size that admits it).

triplock runs twice: as shipped (the default --jobs: worker processes from 200 files on) and
with --jobs 1 (one process), so that what the pool costs or saves shows side by side.

Generates N realistic manifests (workloads with env and volumes, RBAC, ConfigMaps carrying
spark-defaults.conf, SparkApplications) under benchmarks/.work/, installs Checkov into its own
venv there on first use (the only network access: pip and PyPI), and runs both tools on the
same directory. Checkov runs with --skip-download and its HTTP(S) proxy pointed at a closed
loopback port, so it cannot reach any other address either.

CPU time (user + system, the tool and every process it waited for, from wait4) is the figure
to compare on a busy machine, where wall time mostly measures the wait for a CPU.
Memory is the peak resident set of the whole process tree (sampled from /proc every 20 ms,
summing every descendant: Checkov forks workers) and, for reference, the largest single
process as the kernel reports it (wait4 ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
VENV = WORK / "checkov-venv"
ROOT = HERE.parent

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{ns}
  labels: {{app: svc-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: svc-{i}}}
  template:
    metadata:
      labels: {{app: svc-{i}}}
    spec:
      serviceAccountName: svc-{i}
      containers:
      - name: app
        image: registry.example.com/svc-{i}:1.{i}
        ports: [{{containerPort: 8080}}]
        env:
        - {{name: LOG_LEVEL, value: info}}
        - {{name: DB_PASSWORD, value: pw-{i}-literal}}
        - name: API_TOKEN
          valueFrom:
            secretKeyRef: {{name: svc-{i}, key: token}}
        resources:
          limits: {{cpu: 500m, memory: 512Mi}}
        volumeMounts:
        - {{name: tls, mountPath: /etc/tls, readOnly: true}}
      volumes:
      - name: tls
        secret: {{secretName: svc-{i}-tls}}
"""

RBAC = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role-{i}
  namespace: team-{ns}
rules:
- apiGroups: [""]
  resources: ["pods", "services", "configmaps", "secrets"]
  verbs: ["get", "list", "watch", "create", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: binding-{i}
  namespace: team-{ns}
subjects:
- {{kind: ServiceAccount, name: svc-{i}, namespace: team-{ns}}}
roleRef: {{kind: {role_kind}, name: {role_name}, apiGroup: rbac.authorization.k8s.io}}
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: spark-conf-{i}
  namespace: team-{ns}
data:
  LOG_LEVEL: info
  spark-defaults.conf: |
    spark.master k8s://https://kubernetes.default.svc
    spark.authenticate true
    spark.network.crypto.enabled true
    spark.ssl.keyStore /mnt/secrets/tls/keystore.p12
    spark.ssl.keyStorePassword ks-password-{i}
"""

SPARK_APP = """apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: job-{i}
  namespace: team-{ns}
spec:
  type: Python
  mode: cluster
  image: apache/spark:3.5.1
  sparkVersion: 3.5.1
  mainApplicationFile: local:///opt/jobs/job-{i}.py
  sparkConf:
    spark.authenticate: "true"
    spark.io.encryption.enabled: "true"
    spark.ssl.keyStore: /opt/spark/conf/keystore.jks
  hadoopConf:
    fs.s3a.endpoint: https://s3.example.com
  driver:
    cores: 1
    memory: 2g
    serviceAccount: svc-{i}
  executor:
    instances: 3
    cores: 2
    memory: 4g
"""


def generate(n: int, dump: bool = False) -> Path:
    """A directory of the n manifests, a file each; with `dump`, one `kind: List` file."""
    out = WORK / (f"dump-{n}" if dump else f"manifests-{n}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    kinds = (DEPLOYMENT, RBAC, CONFIGMAP, SPARK_APP)
    items: list[str] = []
    for i in range(n):
        template = kinds[i % len(kinds)]
        role_kind, role_name = ("ClusterRole", "edit") if i % 8 == 1 else ("Role", f"role-{i}")
        text = template.format(i=i, ns=i % 10, role_kind=role_kind, role_name=role_name)
        if dump:
            items += (_item(doc) for doc in text.split("---\n") if doc.strip())
        else:
            (out / f"m{i:05d}.yaml").write_text(text, encoding="utf-8")
    if dump:
        listed = "apiVersion: v1\nitems:\n" + "".join(items) + "kind: List\nmetadata: {}\n"
        (out / "all.yaml").write_text(listed, encoding="utf-8")
    return out


def _item(doc: str) -> str:
    """A manifest as an item of a List: `- ` before its first line, indented after."""
    first, *rest = doc.rstrip("\n").split("\n")
    return "".join([f"- {first}\n", *(f"  {line}\n" if line else "\n" for line in rest)])


def ensure_checkov() -> Path:
    exe = VENV / "bin" / "checkov"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = str(VENV / "bin" / "pip")
        subprocess.run([pip, "install", "-q", "checkov"], check=True)
    return exe


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    tree_peak_mb: float
    process_peak_mb: float
    code: int


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(argv: list[str], env: dict[str, str], stdout: Path) -> Run:
    with stdout.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=WORK)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kb(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, peak / 1024, usage.ru_maxrss / 1024, proc.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="number of manifests (default 2000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per tool; the best is kept")
    parser.add_argument("--dump", action="store_true", help="the manifests as one List file")
    args = parser.parse_args()

    manifests = generate(args.n, args.dump)
    label = f"{args.n}-dump" if args.dump else f"{args.n}"
    size = sum(f.stat().st_size for f in manifests.iterdir())
    checkov = ensure_checkov()
    offline = dict(os.environ)
    offline.update(
        {
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "NO_PROXY": "",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    # As installed tools run: with bytecode caches (a sandbox may set PYTHONDONTWRITEBYTECODE,
    # which would make every run compile triplock's source again). Checkov's venv has them.
    offline.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], env=offline)
    # Relative paths, run from WORK: Checkov skips any directory whose path has a component
    # starting with a dot (".work"), and would then scan nothing.
    triplock = [
        sys.executable,
        "-m",
        "triplock",
        "audit",
        manifests.name,
        "--format",
        "json",
        "--fail-on",
        "critical",
        "--max-file-size",
        str(max(size, 10 << 20)),
    ]
    tools = {
        "triplock": triplock,
        "triplock -j 1": [*triplock, "--jobs", "1"],
        "checkov": [
            str(checkov),
            "-d",
            manifests.name,
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
            "--soft-fail",
        ],
    }
    results: dict[str, Run] = {}
    for name, argv in tools.items():
        out = WORK / f"{name.replace(' ', '')}-{label}.json"
        runs = [measure(argv, offline, out) for _ in range(args.runs)]
        results[name] = min(runs, key=lambda r: r.seconds)
        if results[name].code not in (0, 1):
            print(f"{name} exited with {results[name].code}", file=sys.stderr)
            return 2
    checked = json.loads((WORK / f"checkov-{label}.json").read_text())
    summary = (checked[0] if isinstance(checked, list) else checked).get("summary", {})
    if not summary.get("resource_count"):
        print("checkov scanned no resource; the comparison would be void", file=sys.stderr)
        return 2
    audited = json.loads((WORK / f"triplock-{label}.json").read_text())
    print(
        f"triplock: {len(audited['inputs'])} inputs, {len(audited['findings'])} findings; "
        f"checkov: {summary['resource_count']} resources, "
        f"{summary['passed'] + summary['failed']} results"
    )

    one = (WORK / f"triplock-j1-{label}.json").read_bytes()
    if one != (WORK / f"triplock-{label}.json").read_bytes():
        print("triplock --jobs 1 and the default --jobs reported differently", file=sys.stderr)
        return 2
    c = results["checkov"]
    print(
        f"{args.n} manifests"
        + (f" as one kind: List file of {size:,} bytes" if args.dump else "")
        + f", {os.cpu_count()} CPUs, best of {args.runs}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "| tool | wall time (s) | CPU time (s) | peak RSS, process tree (MB) "
        "| peak RSS, largest process (MB) |"
    )
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r.seconds:.2f} | {r.cpu_seconds:.2f} | {r.tree_peak_mb:.0f} "
            f"| {r.process_peak_mb:.0f} |"
        )
    for name in ("triplock", "triplock -j 1"):
        t = results[name]
        print(
            f"| checkov / {name} | {c.seconds / t.seconds:.1f}x | "
            f"{c.cpu_seconds / t.cpu_seconds:.1f}x | {c.tree_peak_mb / t.tree_peak_mb:.1f}x "
            f"| {c.process_peak_mb / t.process_peak_mb:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
