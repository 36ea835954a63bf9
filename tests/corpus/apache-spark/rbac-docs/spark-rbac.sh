#!/bin/sh
# Pattern: apache/spark docs/running-on-kubernetes.md "RBAC" (service account bound to the edit ClusterRole)
set -e
kubectl create serviceaccount spark
kubectl create clusterrolebinding spark-role --clusterrole=edit --serviceaccount=default:spark --namespace=default
