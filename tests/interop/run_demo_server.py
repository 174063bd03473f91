"""Runs the real server with the demo data for clients written in other languages.

    python tests/interop/run_demo_server.py [--database URL] [--listen HOST:PORT]

Migrates the database (a new SQLite file in a temporary folder by default,
with a signing key of its own there),
loads the demo accounts and catalog, starts the server (port 0 by default: a
free port) and prints one line, `listening on HOST:PORT`, on stdout. It serves
until SIGTERM or SIGINT, or until its standard input closes, so a test runner
that dies never leaves it behind. The Node.js interop suite
(tools/interop/test/) starts it this way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import signal
import sys
import tempfile
import threading

from aspel.licensing.server.app import create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.domain.signing import generate_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.migrate import migrate


def serve_demo(database_url: str, listen: str, key_file: pathlib.Path | None = None) -> None:
    migrate(open_database(database_url))
    overrides = {}
    if key_file is not None:
        # A signing key of its own, so installers' activations can be checked.
        generate_key_file(key_file, dt.datetime.now(dt.UTC), if_missing=True)
        overrides["signing_key_file"] = str(key_file)
    settings = Settings.from_env(database_url=database_url, listen=listen, **overrides)
    server, port, services = create_server(settings)
    with services.store.connection():
        seed_demo(services.store, services.calendar, PasswordHasher(settings.argon2))
    server.start()
    host = listen.rsplit(":", 1)[0]
    print(f"listening on {host}:{port}", flush=True)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    def wait_for_stdin_to_close() -> None:
        sys.stdin.buffer.read()
        stopping.set()

    threading.Thread(target=wait_for_stdin_to_close, daemon=True).start()
    stopping.wait()
    server.stop(None).wait()
    services.store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", metavar="URL", help="default: a new temporary SQLite file")
    parser.add_argument("--listen", metavar="ADDR", default="127.0.0.1:0")
    args = parser.parse_args(argv)
    if args.database:
        serve_demo(args.database, args.listen)
        return 0
    with tempfile.TemporaryDirectory(prefix="aspel-interop-") as tmp:
        folder = pathlib.Path(tmp)
        serve_demo(f"sqlite:///{folder / 'licensing.db'}", args.listen, folder / "keys.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
