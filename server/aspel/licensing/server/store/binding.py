"""Which database the models use: the one of the `Store` in use, per thread.

The models are declared once, at import, but one process may hold several
stores (two servers in one test, the CLI opening a second database). A
process-global `DatabaseProxy.initialize()` would let the last store built
rebind every model for everybody. Instead the models' database is a proxy
whose target is a `contextvars.ContextVar`: each `Store` sets it for the
duration of its connection or unit of work and resets it after. A context
variable is per thread (a new thread starts with none), so each RPC thread and
the mail worker's thread enter their own store, and a store used in one thread
never changes what another thread sees. Chosen over per-store bound model
classes because every query keeps naming the one set of models.

Outside a store's `connection()`/`read()`/`write()` a model has no database:
using one raises `NoStoreInUse`, never a query on somebody else's database.
"""

from __future__ import annotations

import contextvars

import peewee

_current: contextvars.ContextVar[peewee.Database | None] = contextvars.ContextVar(
    "aspel_licensing_database", default=None
)


class NoStoreInUse(RuntimeError):
    """A model was used outside every store's connection (a bug of the caller).

    Not an AttributeError: raised from the `obj` property, that would send
    Python to the proxy's `__getattr__`, which asks for `obj` again."""


class CurrentDatabase(peewee.DatabaseProxy):
    """A `DatabaseProxy` that forwards to the database of the current context."""

    __slots__ = ()

    def __init__(self) -> None:
        object.__setattr__(self, "_callbacks", [])

    @property
    def obj(self) -> peewee.Database:
        database = _current.get()
        if database is None:
            raise NoStoreInUse("no Store connection is open in this thread")
        return database

    def initialize(self, obj: object) -> None:
        raise TypeError("models are bound by Store.connection(), not initialize()")


database_proxy = CurrentDatabase()


class bound_to:
    """The models use `database` in this context until the block ends.

    A class, not a `contextlib.contextmanager`: every RPC enters it, and a
    generator-based one costs a few microseconds more per use."""

    __slots__ = ("_database", "_token")

    def __init__(self, database: peewee.Database) -> None:
        self._database = database

    def __enter__(self) -> None:
        self._token = _current.set(self._database)

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)


def is_bound_to(database: peewee.Database) -> bool:
    """True inside a `bound_to(database)` block of this context."""
    return _current.get() is database
