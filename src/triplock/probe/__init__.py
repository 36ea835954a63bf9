"""Probes: facts observed on hosts (TEE capabilities), on one host or on every node."""
