"""Small trees of inputs the tests of the worker processes audit."""

from __future__ import annotations

from pathlib import Path


def layered(root: Path) -> Path:
    """A launch that loads a properties file next to it: link() layers it on the file."""
    (root / "job").mkdir()
    (root / "job" / "spark-defaults.conf").write_text(
        "spark.master k8s://https://api:6443\nspark.authenticate true\n"
    )
    (root / "job" / "run.sh").write_text(
        "spark-submit --properties-file ./spark-defaults.conf --conf spark.ssl.enabled=false x.py\n"
    )
    return root


def many_confs(root: Path, count: int) -> Path:
    for i in range(count):
        directory = root / f"d{i // 100}"
        directory.mkdir(exist_ok=True)
        (directory / f"spark-{i}.conf").write_text(
            f"spark.master k8s://https://api:6443\nspark.authenticate {i % 2 == 0}\n".lower()
        )
    return root


def manifests(root: Path, count: int) -> Path:
    for i in range(count):
        (root / f"m{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n"
        )
    return root
