"""Probes the job in shuffle_job.py runs against its own driver while it is up (imported there,
run by spark-submit): the UI over TLS verified with the generated CA, `triplock scan`'s grade of
it, and RPC clients with the right and a wrong spark.authenticate.secret, each a fresh RpcEnv
(its own SecurityManager, a TCP connection to the driver's RPC port) as an executor would be."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.request
from typing import Any
from urllib.parse import urlsplit


def ui_over_tls(sc: Any, ca_file: str) -> dict[str, Any]:
    url = sc.uiWebUrl
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=ca_file)  # only the generated CA is trusted
    with urllib.request.urlopen(url.rstrip("/") + "/jobs/", context=context, timeout=60) as r:
        status = r.status
    scan = subprocess.run(
        [sys.executable, "-m", "triplock", "scan", f"{parts.hostname}:{parts.port}", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    endpoint = json.loads(scan.stdout)["endpoints"][0] if scan.stdout.strip() else {}
    return {
        "ui_url": url,
        "ui_status": status,
        "grade": endpoint.get("grade"),
        "scan_error": endpoint.get("error") or scan.stderr[-500:],
    }


def rpc_with_secret(sc: Any, secret: str) -> str:
    """`accepted`, or `refused: ...` when the driver will not talk to a client with `secret`."""
    jvm = sc._jvm
    conf = sc._jsc.sc().conf().clone()
    conf.set("spark.authenticate.secret", secret)
    conf.set("spark.rpc.lookupTimeout", "60s")
    config = getattr(getattr(jvm.org.apache.spark.internal.config, "package$"), "MODULE$")
    entry = config.AUTH_SECRET_FILE()
    manager = jvm.org.apache.spark.SecurityManager(conf, jvm.scala.Option.empty(), entry)
    env = jvm.org.apache.spark.rpc.RpcEnv.create("probe", "127.0.0.1", 0, conf, manager, True)
    host = conf.get("spark.driver.host")
    port = int(conf.get("spark.driver.port"))
    try:
        env.setupEndpointRef(jvm.org.apache.spark.rpc.RpcAddress(host, port), "MapOutputTracker")
        return "accepted"
    except Exception as e:  # py4j's Py4JJavaError: the Java exception, as Spark raised it
        return "refused: " + str(e).splitlines()[0][:300]
    finally:
        env.shutdown()


def wrong_secret() -> str:
    return os.urandom(32).hex()
