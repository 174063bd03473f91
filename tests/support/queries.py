"""Counting the statements a block of code sends (peewee's `assertQueryCount`).

peewee logs every statement it executes on its "peewee" logger at DEBUG; a
handler on that logger counts those of the calling thread only (an RPC thread
of a server under test, or the mail worker, does not add to the count).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

# Transaction control is not a query of the code under test.
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class _Counter(logging.Handler):
    def __init__(self, control: bool) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.control = control
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.msg
        sql = message[0] if isinstance(message, tuple) else str(message)
        if self.control or not str(sql).lstrip().upper().startswith(_CONTROL):
            self.statements.append(str(sql))


@contextlib.contextmanager
def counting_queries(*, control: bool = False) -> Iterator[list[str]]:
    """The statements run by this thread inside the block, as a list that
    fills while the block runs; `control`: transaction control too."""
    logger = logging.getLogger("peewee")
    counter = _Counter(control)
    level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
