#!/bin/bash
# Pattern: intel-analytics/ipex-llm ppml/trusted-bigdata/scripts/start-spark-pi-on-k8s-cluster-sgx.sh (password decrypted at run time, secrets from Kubernetes)
cd /ppml
export secure_password=`openssl rsautl -inkey /ppml/password/key.txt -decrypt </ppml/password/output.bin`
bash bigdl-ppml-submit.sh \
    --master $RUNTIME_SPARK_MASTER \
    --deploy-mode cluster \
    --sgx-enabled true \
    --name GradientBoostedTreeClassifierExample \
    --conf spark.kubernetes.authenticate.driver.serviceAccountName=spark \
    --conf spark.kubernetes.container.image=$RUNTIME_K8S_SPARK_IMAGE \
    --conf spark.authenticate=true \
    --conf spark.authenticate.secret=$secure_password \
    --conf spark.kubernetes.executor.secretKeyRef.SPARK_AUTHENTICATE_SECRET="spark-secret:secret" \
    --conf spark.kubernetes.driver.secretKeyRef.SPARK_AUTHENTICATE_SECRET="spark-secret:secret" \
    --conf spark.bigdl.primaryKey.defaultKey.kms.type=EHSMKeyManagementService \
    --conf spark.bigdl.primaryKey.defaultKey.material=/ppml/keys/primaryKey \
    --conf spark.bigdl.primaryKey.defaultKey.kms.ip=$EHSM_KMS_IP \
    --conf spark.network.crypto.enabled=true \
    --conf spark.io.encryption.enabled=true \
    --class org.apache.spark.examples.SparkPi \
    local://${SPARK_HOME}/examples/jars/spark-examples_2.12-${SPARK_VERSION}.jar 3000
