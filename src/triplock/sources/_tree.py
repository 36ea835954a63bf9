"""Files a configuration names, looked up inside the audited tree only."""

from __future__ import annotations

import os
import stat


def find_in_tree(path: str, directory: str, root: str) -> tuple[str, int] | None:
    """Where a named file sits inside the tree `root` (a real path), with its permission bits:
    as written when the tree is the live filesystem, under the root when the tree mirrors a
    node's filesystem, or next to the configuration in `directory` when the conf directory is
    shipped with its key files (a ConfigMap mount). None when it is in none of them."""
    if os.path.isabs(path):
        candidates = [
            path,
            os.path.join(root, path.lstrip("/")),
            os.path.join(directory, os.path.basename(path)),
        ]
    else:
        candidates = [os.path.join(directory, path)]
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if os.path.commonpath([root, real]) != root:
            continue
        try:
            st = os.stat(real)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            return candidate, stat.S_IMODE(st.st_mode)
    return None
