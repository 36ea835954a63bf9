#!/bin/bash
# Submits the training job the way many PPML/BigDL demo scripts do. Every secret handling
# mistake here is deliberate: `triplock audit examples/spark-on-k8s/insecure` finds them.
set -x

export secure_password=`openssl rsautl -inkey /ppml/password/key.txt -decrypt </ppml/password/output.bin`
KMS_URL=https://kms.bigdata.svc:9600
APP_TOKEN=$(curl -k -s "$KMS_URL/kms/v1/key/app/_currentversion")
echo "using token $APP_TOKEN"

SPARK_CONF="--conf spark.authenticate=true --conf spark.authenticate.secret=$secure_password"
TLS_CONF=(--conf spark.ssl.enabled=true)
TLS_CONF+=(--conf spark.ssl.keyStorePassword=changeit --conf spark.ssl.keyPassword=changeit)

keytool -importcert -noprompt -alias kms -file /ppml/keys/kms.crt \
  -keystore /ppml/keys/truststore.jks -storepass changeit

${SPARK_HOME}/bin/spark-submit \
  --master k8s://https://kubernetes.default.svc:443 \
  --deploy-mode cluster \
  --name ppml-train \
  $SPARK_CONF \
  "${TLS_CONF[@]}" \
  --conf spark.kubernetes.container.image=intelanalytics/bigdl-ppml-trusted-big-data-ml-python-gramine:2.4.0 \
  --conf spark.kubernetes.driverEnv.API_KEY=f3b1c9a4e6d27b8f90a1c3e5d7f9b2a4 \
  local:///ppml/work/train.py --epochs 10
