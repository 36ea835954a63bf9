#!/bin/sh
# Pattern: apache/spark docs/running-on-kubernetes.md "Cluster Mode" spark-submit example
./bin/spark-submit \
    --master k8s://https://192.168.49.2:8443 \
    --deploy-mode cluster \
    --name spark-pi \
    --class org.apache.spark.examples.SparkPi \
    --conf spark.executor.instances=5 \
    --conf spark.kubernetes.container.image=apache/spark:3.5.1 \
    local:///opt/spark/examples/jars/spark-examples_2.12-3.5.1.jar
