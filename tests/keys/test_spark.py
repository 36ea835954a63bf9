"""Real Spark: the UI served with a generated keystore verifies with openssl against the generated
root, and trees are encrypted on a local-cluster master (two executor JVMs, Python workers)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, need_command, need_module, run_cli
from tests.keys.conftest import PASSPHRASE, Pki, SparkCluster
from triplock.keys import envelope
from triplock.keys.kms.file import FileKms
from triplock.keys.kms.interface import KmsSpec
from triplock.keys.spark import balance, run_tree

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def s_client(port: int, root: Path) -> subprocess.CompletedProcess[str]:
    openssl = need_command("openssl")
    cmd = [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-verify_return_error",
           "-CAfile", str(root), "-showcerts", "-verify_hostname", "localhost"]  # fmt: skip
    result = subprocess.CompletedProcess(cmd, 1, "", "")
    for _ in range(20):  # the UI's TLS connector may still be starting
        result = subprocess.run(cmd, input="", capture_output=True, text=True, timeout=30)
        if "Verify return code" in result.stdout:
            break
        time.sleep(0.5)
    return result


def test_spark_ui_serves_the_full_chain(spark: SparkCluster, pki: Pki) -> None:
    result = s_client(spark.ui_port, pki.ca / "root.pem")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verify return code: 0 (ok)" in result.stdout
    assert result.stdout.count("-----BEGIN CERTIFICATE-----") == 2  # leaf + intermediate
    assert "TLSv1.3" in result.stdout


def test_spark_ui_fails_verification_against_another_root(
    spark: SparkCluster, tmp_path: Path
) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path)).code == 0
    result = s_client(spark.ui_port, tmp_path / "root.pem")
    assert result.returncode != 0
    assert "Verify return code: 0 (ok)" not in result.stdout


def test_triplock_scan_sees_the_chain(spark: SparkCluster) -> None:
    if importlib.util.find_spec("triplock.commands.scan") is None:
        pytest.skip("triplock scan is not in this tree yet")
    result = run_cli("scan", f"127.0.0.1:{spark.ui_port}", "--format", "json")
    assert result.code in (0, 1), result.err
    [endpoint] = result.json()["endpoints"]
    assert not endpoint["error"]
    chains = endpoint["certificate_chains"]
    assert chains and all(len(chain) == 2 for chain in chains.values())  # leaf + intermediate
    cert = [f for f in result.json()["findings"] if f["rule_id"].startswith("CERT-")]
    assert [f["message"] for f in cert if f["status"] == "fail"] == []
    assert any(f["rule_id"] == "CERT-001" and f["status"] == "pass" for f in cert)


def make_tree(root: Path, files: int = 12, size: int = 300_000) -> dict[str, bytes]:
    out = {f"part-{i:03d}/data.bin": os.urandom(size + i) for i in range(files)}
    for rel, data in out.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return out


def test_tree_on_local_cluster_round_trips(spark: SparkCluster, tmp_path: Path) -> None:
    sc = spark.session.sparkContext
    assert sc.master.startswith("local-cluster")
    assert sc._jsc.sc().getExecutorMemoryStatus().size() == 3  # driver + two executors
    FileKms.create(tmp_path / "ring.json", PASSPHRASE.encode(), scrypt_n=2**14)
    (tmp_path / "pass").write_text(PASSPHRASE)
    spec = KmsSpec("file", str(tmp_path / "ring.json"), secret_file=str(tmp_path / "pass"))
    files = make_tree(tmp_path / "in")
    results = run_tree(spark.session, spec, tmp_path / "in", tmp_path / "enc", encrypt=True)
    assert [r.error for r in results] == [None] * len(files)
    # Same format as one machine: the local code path decrypts what the executors wrote.
    kms = FileKms.open(tmp_path / "ring.json", PASSPHRASE.encode())
    some = next(iter(files))
    envelope.decrypt_file(kms, tmp_path / "enc" / (some + ".tlk"), tmp_path / "one")
    assert (tmp_path / "one").read_bytes() == files[some]
    results = run_tree(spark.session, spec, tmp_path / "enc", tmp_path / "dec", encrypt=False)
    assert sum(r.bytes for r in results) == sum(map(len, files.values()))
    for rel, data in files.items():
        assert (tmp_path / "dec" / rel).read_bytes() == data


def test_executor_errors_are_reported_per_file(spark: SparkCluster, tmp_path: Path) -> None:
    FileKms.create(tmp_path / "ring.json", PASSPHRASE.encode(), scrypt_n=2**14)
    (tmp_path / "pass").write_text("a wrong passphrase!")
    spec = KmsSpec("file", str(tmp_path / "ring.json"), secret_file=str(tmp_path / "pass"))
    make_tree(tmp_path / "in", files=3, size=10)
    results = run_tree(spark.session, spec, tmp_path / "in", tmp_path / "enc", encrypt=True)
    assert len(results) == 3
    assert all(r.error and "wrong passphrase" in r.error for r in results)
    assert not list((tmp_path / "enc").rglob("*.tlk")) if (tmp_path / "enc").exists() else True


def test_cli_spark_master_reuses_the_session(spark: SparkCluster, tmp_path: Path) -> None:
    (tmp_path / "pass").write_text(PASSPHRASE)
    ring = tmp_path / "ring.json"
    kms_args = ["--kms", f"file:{ring}", "--kms-secret-file", str(tmp_path / "pass")]
    assert run_cli("keys", "kms", "init", *kms_args, "--scrypt-n", str(2**14)).code == 0
    files = make_tree(tmp_path / "in", files=4, size=1000)
    master = spark.session.sparkContext.master
    result = run_cli(
        "encrypt", str(tmp_path / "in"), "-o", str(tmp_path / "enc"), *kms_args,
        "--spark-master", master,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "encrypted 4 of 4 files" in result.out
    assert spark.session.sparkContext._jsc is not None  # still running for the other tests
    result = run_cli("decrypt", str(tmp_path / "enc"), "-o", str(tmp_path / "dec"), *kms_args)
    assert result.code == 0, result.err
    assert all((tmp_path / "dec" / r).read_bytes() == d for r, d in files.items())


def test_balance_spreads_by_size() -> None:
    jobs = [envelope.Job(str(i), size) for i, size in enumerate([100, 90, 10, 10, 5, 5])]
    groups = balance(jobs, 2)
    loads = sorted(sum(j.size for j in g) for g in groups)
    assert loads == [110, 110]
    assert len(balance(jobs[:1], 8)) == 1


def test_cli_gives_up_when_no_executor_can_start(
    keyring: tuple[Path, Path], tmp_path: Path
) -> None:
    """A real local-cluster whose one worker has 1 core, fewer than an executor asks for (2):
    Spark would wait for an executor forever; triplock stops after --spark-wait."""
    need_command("java")
    pyspark = need_module("pyspark")
    ring, secret = keyring
    make_tree(tmp_path / "in", files=2, size=10)
    home = tmp_path / "spark-home"  # executors' scratch space away from the installation
    home.mkdir()
    for entry in Path(pyspark.__file__).parent.iterdir():
        if entry.name != "work":
            (home / entry.name).symlink_to(entry)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SPARK_HOME": str(home),
        "PYSPARK_SUBMIT_ARGS": "--conf spark.executor.cores=2 pyspark-shell",
    }
    result = subprocess.run(
        [sys.executable, "-m", "triplock", "encrypt", str(tmp_path / "in"),
         "-o", str(tmp_path / "enc"), "--kms", f"file:{ring}", "--kms-secret-file", str(secret),
         "--spark-master", "local-cluster[1,1,1024]", "--spark-wait", "20"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "no Spark executor started on local-cluster[1,1,1024] within 20 s" in result.stderr
    assert "spark.executor.cores" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "enc").exists()
