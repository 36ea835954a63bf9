#!/bin/bash
# Pattern: kubernetes/website content/en/docs/tasks/configmap-secret/managing-secret-using-kubectl.md and kubectl heredoc idiom (a Secret created from a heredoc in a setup script)
set -euo pipefail
kubectl create namespace analytics --dry-run=client -o yaml | kubectl apply -f -
cat <<EOF2 | kubectl apply -f -
apiVersion: v1
kind: Secret
metadata:
  name: s3-credentials
  namespace: analytics
type: Opaque
stringData:
  accessKey: AKIAIOSFODNN7EXAMPLE
  secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
EOF2
