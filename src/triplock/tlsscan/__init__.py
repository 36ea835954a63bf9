"""The live TLS scanner: hello-only observation of endpoints (see docs/tls.md)."""
