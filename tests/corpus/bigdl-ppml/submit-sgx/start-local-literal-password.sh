#!/bin/bash
# Pattern: intel-analytics/ipex-llm ppml/trusted-big-data-ml/python/docker-gramine/base/test-suites (keystore password written on the command line, set -x tracing)
set -x
/opt/jdk8/bin/java -cp '/ppml/spark/conf/:/ppml/spark/jars/*' -Xmx1g org.apache.spark.deploy.SparkSubmit \
    --master local[4] \
    --conf spark.ssl.enabled=true \
    --conf spark.ssl.keyStore=/ppml/keys/keystore.jks \
    --conf spark.ssl.keyStorePassword=Ppml-Keyst0re-Pass \
    --conf spark.ssl.trustStore=/ppml/keys/keystore.jks \
    --conf spark.ssl.trustStorePassword=Ppml-Keyst0re-Pass \
    --class org.apache.spark.examples.SparkPi \
    local:///ppml/spark/examples/jars/spark-examples_2.12-3.1.3.jar 100
