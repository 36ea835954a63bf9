"""Run by spark-submit in tests/fix/test_spark_fixed.py: shuffle records holding a plaintext
canary, then report the effective crypto settings and whether the canary is in any file under
the executors' local directories (printed as one JSON line). Given the generated CA as a second
argument, it also probes its own driver (driver_probes.py): UI over TLS and RPC secrets."""

import json
import os
import sys

from pyspark.sql import SparkSession

CANARY = "TRIPLOCK-PLAINTEXT-CANARY"
local_dir = sys.argv[1]
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
pairs = sc.parallelize(range(4000), 8).map(lambda i: (i % 50, f"{CANARY}-{i}"))
groups = pairs.groupByKey(16).mapValues(len).collect()
found = []
files = 0
for root, _dirs, names in os.walk(local_dir):
    for name in names:
        files += 1
        try:
            with open(os.path.join(root, name), "rb") as handle:
                if CANARY.encode() in handle.read():
                    found.append(name)
        except OSError:
            pass
conf = sc.getConf()
probes = {}
if len(sys.argv) > 2:
    import driver_probes

    probes = driver_probes.ui_over_tls(sc, sys.argv[2])
    probes["right_secret"] = driver_probes.rpc_with_secret(
        sc, conf.get("spark.authenticate.secret")
    )
    probes["wrong_secret"] = driver_probes.rpc_with_secret(sc, driver_probes.wrong_secret())
print(
    "RESULT "
    + json.dumps(
        {
            "groups": len(groups),
            "records": sum(n for _, n in groups),
            "files": files,
            "canary_in": found,
            "crypto": conf.get("spark.network.crypto.enabled"),
            "io": conf.get("spark.io.encryption.enabled"),
            "authenticate": conf.get("spark.authenticate"),
            **probes,
        }
    )
)
spark.stop()
