"""Stopping a long-running process (the server, the mailer) on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading


def stop_on_signals(log: logging.Logger, doing: str) -> threading.Event:
    """An event that SIGTERM or SIGINT sets, after logging `signal N: <doing>`.

    The handler only sets the event: the main thread, waiting on it, does the
    actual stopping outside the signal handler.
    """
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: %s", signum, doing)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop
