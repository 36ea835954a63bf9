#!/bin/bash
# Submits the training job: every setting comes from conf/spark-defaults.conf (which
# spark-submit loads from SPARK_CONF_DIR); secrets come from files mounted from Kubernetes
# Secrets, never from arguments, and the KMS is reached with TLS verification on.
set -euo pipefail

KMS_URL=https://kms.bigdata.svc:9600
curl --fail --cacert /etc/triplock/ca/root.pem "$KMS_URL/kms/v1/keys/names" >/dev/null

exec "${SPARK_HOME}/bin/spark-submit" \
  --master k8s://https://kubernetes.default.svc:443 \
  --deploy-mode cluster \
  --name secure-train \
  local:///opt/app/train.py --epochs 10
