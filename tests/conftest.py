from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import CliResult, run_cli

# The suite runs on shared, loaded machines: Hypothesis's own timing checks (how fast inputs
# are generated, how long one example takes) would fail a correct test there. A test that
# wants a deadline (tests/test_fuzz.py, against hangs) sets its own.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli
