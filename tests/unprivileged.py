"""Run the CLI as a process that file permissions apply to, even when the tests run as root.

Root ignores read, write and search bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a test of
"permission denied" would pass vacuously. The child drops both capabilities from its bounding
set before exec: the new program keeps root's uid but not those two capabilities.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

from tests.helpers import ROOT

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


def _drop_dac_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m triplock ARGS` without the capabilities that bypass file permissions."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "triplock", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
    )
