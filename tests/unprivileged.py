"""Run the CLI as a process that file permissions apply to, even when the tests run as root.

Root ignores read, write and search bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a test of
"permission denied" would pass vacuously. As root, the command runs under `setpriv` with both
capabilities dropped from its bounding set: it keeps root's uid but not the bypass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.helpers import ROOT, need


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m triplock ARGS` without the capabilities that bypass file permissions."""
    command = [sys.executable, "-m", "triplock", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        need(setpriv is not None, "setpriv (util-linux), to drop root's file-permission bypass")
        assert setpriv is not None
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
