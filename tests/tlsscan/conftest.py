"""One farm of real TLS servers per test session, scanned once; the tests assert on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import need_command
from tests.tlsscan.farm import Server, farm
from triplock.facts.tls import Endpoint


@pytest.fixture(scope="session")
def farm_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    need_command("openssl")
    need_command("nginx")
    with farm(Path(tmp_path_factory.mktemp("tls-farm"))) as servers:
        yield servers


@pytest.fixture(scope="session")
def farm_scan(farm_servers: dict[str, Server]) -> dict[str, Endpoint]:
    from triplock.tlsscan.connector import Limits, parse_target
    from triplock.tlsscan.scanner import scan

    names = list(farm_servers)
    endpoints = scan([parse_target(farm_servers[n].target) for n in names], Limits(timeout=5))
    return dict(zip(names, endpoints, strict=True))
