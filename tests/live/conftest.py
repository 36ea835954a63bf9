"""The verify tests' fixtures: real Spark started on free loopback ports (tests/helpers/live.py)."""

from tests.helpers.live import application, locked_master, open_cluster, pki

__all__ = ["application", "locked_master", "open_cluster", "pki"]
