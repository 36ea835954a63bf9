"""A tree of small Spark inputs: generated spark-defaults.conf files and spark-submit scripts
(half each), a few hundred bytes each, for benchmarks/audit_speed.py and the memory tests."""

from __future__ import annotations

import random
from pathlib import Path

_KEYS = [
    ("spark.authenticate", ["true", "false"]),
    ("spark.network.crypto.enabled", ["true", "false"]),
    ("spark.network.crypto.cipher", ["AES/CTR/NoPadding", "AES/GCM/NoPadding"]),
    ("spark.io.encryption.enabled", ["true", "false", "${IO_ENC}"]),
    ("spark.io.encryption.keySizeBits", ["128", "256"]),
    ("spark.ssl.ui.enabled", ["true", "false"]),
    ("spark.ssl.keyStorePassword", ["changeit", "${KS_PW}"]),
    ("spark.ui.filters", ["org.apache.spark.ui.JWSFilter"]),
    ("spark.acls.enable", ["true", "false"]),
    ("spark.admin.acls", ["*", "admin"]),
    ("spark.kubernetes.namespace", ["default", "spark-jobs"]),
    ("spark.executor.memory", ["4g", "8g"]),
    ("spark.sql.shuffle.partitions", ["200", "400"]),
]


def generate(root: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(count):
        directory = root / f"app-{i // 100:03}"
        directory.mkdir(parents=True, exist_ok=True)
        settings = [(k, rng.choice(v)) for k, v in rng.sample(_KEYS, rng.randint(4, len(_KEYS)))]
        if i % 2 == 0:
            lines = ["# generated", "spark.master k8s://https://api:6443"]
            lines += [f"{k} {v}" for k, v in settings]
            (directory / f"spark-{i}.conf").write_text("\n".join(lines) + "\n")
        else:
            confs = " \\\n  ".join(f"--conf {k}={v}" for k, v in settings)
            script = (
                "#!/bin/bash\nset -euo pipefail\n"
                f"ARGS=(--master k8s://https://api:6443 --deploy-mode cluster)\n"
                f'"$SPARK_HOME/bin/spark-submit" "${{ARGS[@]}}" \\\n  {confs} \\\n'
                "  local:///opt/app/job.py --date 2026-11-27\n"
            )
            (directory / f"submit-{i}.sh").write_text(script)
