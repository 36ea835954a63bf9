from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers import CliResult, run_cli


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli
