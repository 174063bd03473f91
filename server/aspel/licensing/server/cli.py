"""`aspel-licensing-server`: serve, migrate, seed-demo."""

from __future__ import annotations

import argparse
import logging
import sys

from .settings import DEFAULT_DATABASE_URL, DEFAULT_LISTEN, ENV_PREFIX, Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aspel-licensing-server",
        description="The Aspel licensing gRPC server and its maintenance commands.",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help=f"database URL (env {ENV_PREFIX}DATABASE_URL; default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--listen",
        metavar="ADDR",
        help=f"host:port to serve on (env {ENV_PREFIX}LISTEN; default {DEFAULT_LISTEN})",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="serve gRPC until SIGTERM (drains in-flight calls)")
    commands.add_parser("migrate", help="create or bring the database schema up to date")
    seed = commands.add_parser("seed-demo", help="load the demo accounts and catalog")
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="succeed quietly when the database already has accounts",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env(database_url=args.database, listen=args.listen)
    if args.command == "serve":
        from .app import SchemaNotCurrent, serve

        try:
            serve(settings)
        except SchemaNotCurrent as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    if args.command == "migrate":
        from .store.database import open_database
        from .store.migrate import migrate

        applied = migrate(open_database(settings.database_url))
        print("applied: " + ", ".join(applied) if applied else "schema is up to date")
        return 0
    if args.command == "seed-demo":
        from .demo import seed_demo
        from .domain.clock import BusinessCalendar, SystemClock
        from .domain.credentials import PasswordHasher
        from .store.database import Store

        store = Store.from_url(settings.database_url)
        calendar = BusinessCalendar(SystemClock(), settings.business_timezone)
        with store.connection():
            seeded = seed_demo(store, calendar, PasswordHasher(settings.argon2))
        if seeded:
            print("demo data loaded: accounts demo / demo2 (see README)")
            return 0
        print("the database already has accounts; demo data not loaded")
        return 0 if args.if_empty else 1
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
