"""SIGTERM and SIGHUP unwind the main thread like SIGINT (KeyboardInterrupt), so that every
`finally` and `except BaseException` cleans up (temporary files above all). One exception
class for the CLI and for code that installs the handler itself (fix/write.py)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def terminate_like_interrupt() -> Iterator[None]:
    """For the duration, SIGTERM and SIGHUP raise Terminated (in the main thread only: signal
    handlers belong to it; elsewhere this does nothing)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = (signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
