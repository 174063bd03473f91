"""`aspel-licensing-server`: serve, mailer, migrate, seed-demo, keys, service-keys."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from .settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_LISTEN,
    DEFAULT_SIGNING_KEY_FILE,
    DEFAULT_SMTP_URL,
    ENV_PREFIX,
    Settings,
)


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
    parser.add_argument(
        "--signing-key-file",
        metavar="PATH",
        help=(
            f"licence signing keys (env {ENV_PREFIX}SIGNING_KEY_FILE; "
            f"default {DEFAULT_SIGNING_KEY_FILE})"
        ),
    )
    parser.add_argument(
        "--smtp-url",
        metavar="URL",
        help=(
            f"where email goes: smtp://user:pass@host:587, smtps://user:pass@host:465 or "
            f"file:var/mail (env {ENV_PREFIX}SMTP_URL; default {DEFAULT_SMTP_URL})"
        ),
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="serve gRPC until SIGTERM (drains in-flight calls); also delivers email"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=f"server processes sharing the port (env {ENV_PREFIX}WORKERS; default 1)",
    )
    serve.add_argument(
        "--no-mailer",
        action="store_true",
        help=f"do not deliver email here (a separate `mailer` does; env {ENV_PREFIX}MAIL_WORKER=0)",
    )
    commands.add_parser(
        "mailer",
        help="deliver queued email until SIGTERM (for deployments that run it apart from serve)",
    )
    commands.add_parser("migrate", help="create or bring the database schema up to date")
    seed = commands.add_parser("seed-demo", help="load the demo accounts and catalog")
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="succeed quietly when the database already has accounts",
    )
    add_key_commands(commands)
    _add_service_key_commands(commands)
    return parser


def add_key_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="manage the Ed25519 keys that sign licences")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="create the key file with a first key")
    generate.add_argument(
        "--if-missing",
        action="store_true",
        help="succeed quietly when the key file already exists",
    )
    actions.add_parser(
        "rotate", help="add a new signing key; the former one still verifies old licences"
    )
    listing = actions.add_parser("list", help="show the public keys (never the private ones)")
    listing.add_argument(
        "--json",
        action="store_true",
        help='print {"key_id": "base64 public key"}, the pinned-keys file of the client',
    )


def run_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Prints only key ids and public keys: private keys never leave the key file."""
    import base64
    import json
    import pathlib

    from .domain.clock import SystemClock
    from .domain.signing import (
        KeyFileError,
        generate_key_file,
        read_key_file,
        rotate_key_file,
    )

    path = pathlib.Path(settings.signing_key_file)
    now = SystemClock().now()
    try:
        if args.keys_command == "generate":
            created = generate_key_file(path, now, if_missing=args.if_missing)
            if created is None:
                print(f"{path} already exists; keys unchanged")
            else:
                print(f"created {path} with signing key {created.key_id}")
            return 0
        if args.keys_command == "rotate":
            rotated = rotate_key_file(path, now)
            print(f"{rotated.key_id} now signs new licences; former keys are retired")
            return 0
        if args.keys_command == "list":
            views = read_key_file(path).public_keys()
            if args.json:
                pinned = {v.key_id: base64.b64encode(v.public_key).decode() for v in views}
                print(json.dumps(pinned, indent=2))
                return 0
            for v in views:
                public = base64.b64encode(v.public_key).decode()
                print(f"{v.key_id}  {v.state:<7}  {v.create_time:%Y-%m-%d %H:%M}Z  {public}")
            return 0
    except KeyFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    raise AssertionError(args.keys_command)


# --- service-keys: the credentials of internal callers (AdminService) ---------


def _add_service_key_commands(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser(
        "service-keys", help="create, list and revoke the keys of internal services"
    )
    actions = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a key and print its secret (shown only this once)"
    )
    create.add_argument("name", help="the key's name, e.g. billing-erp (recorded as the actor)")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=["billing", "catalog", "support"],
        help="a scope the key holds; repeat for several",
    )
    actions.add_parser("list", help="list the keys, their scopes and whether they are revoked")
    revoke = actions.add_parser("revoke", help="revoke a key at once (its name is not reused)")
    revoke.add_argument("name")


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def run_service_keys(settings: Settings, args: argparse.Namespace) -> int:
    from .domain.clock import BusinessCalendar, SystemClock
    from .domain.service_keys import ServiceKeyService
    from .errors import LicensingError
    from .store.database import Store
    from .store.migrate import pending

    store = Store.from_url(settings.database_url)
    if pending(store.database):
        print("the database needs `aspel-licensing-server migrate` first", file=sys.stderr)
        return 2
    keys = ServiceKeyService(store, BusinessCalendar(SystemClock(), settings.business_timezone))
    try:
        if args.key_command == "create":
            created = keys.create(args.name, args.scopes, _operator())
            print(f"service key {created.key.name} ({', '.join(created.key.scopes)}):")
            print(created.secret)
            print("Store it now: it is shown only once. Use it as `authorization: Bearer <key>`.")
        elif args.key_command == "list":
            for key in keys.list():
                state = "active"
                if key.revoke_time:
                    state = f"revoked {key.revoke_time:%Y-%m-%d %H:%M}Z"
                print(
                    f"{key.name}\t{','.join(key.scopes)}\t"
                    f"created {key.create_time:%Y-%m-%d %H:%M}Z\t{state}"
                )
        else:
            keys.revoke(args.name, _operator())
            print(f"service key {args.name} revoked")
    except LicensingError as exc:
        print(exc.message_es, file=sys.stderr)
        for _field, description in exc.field_violations:
            print(f"  {description}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


class SqlWithoutParameters(logging.Filter):
    """Keeps peewee's SQL log (the statement text) and drops its parameters.

    At DEBUG peewee logs every query as `(sql, params)`, and the parameters are
    what must never reach a log: reset tokens in the outbox payload, session
    and service-key hashes, argon2 hashes. The statement text holds `?`/`%s`
    placeholders only, so it stays useful and safe.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, tuple) and record.msg and isinstance(record.msg[0], str):
            record.msg = record.msg[0]
            record.args = ()
        return True


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    peewee_log = logging.getLogger("peewee")
    if not any(isinstance(f, SqlWithoutParameters) for f in peewee_log.filters):
        peewee_log.addFilter(SqlWithoutParameters())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    settings = Settings.from_env(
        database_url=args.database,
        listen=args.listen,
        smtp_url=args.smtp_url,
        mail_worker=False if getattr(args, "no_mailer", False) else None,
        signing_key_file=args.signing_key_file,
    )
    if args.command == "keys":
        return run_keys(args, settings)
    if args.command == "serve":
        from .app import CannotListen, SchemaNotCurrent, build_services, serve_workers
        from .domain.signing import KeyFileError
        from .mail.transports import InvalidMailUrl, from_url

        workers = args.workers or settings.workers
        try:
            # Checked once up front, so a stale schema, unusable signing keys or
            # a bad --smtp-url fail before any fork.
            services = build_services(settings)
            services.store.close()
            services.activation.keys.current()
            if settings.mail_worker:
                from_url(settings.smtp_url)
            return serve_workers(settings, workers)
        except (SchemaNotCurrent, KeyFileError, InvalidMailUrl, CannotListen) as exc:
            # One line and status 2, no traceback: e.g. a second `serve` on a
            # port that one is already serving (CannotListen, before any fork).
            print(exc, file=sys.stderr)
            return 2
    if args.command == "mailer":
        return _mailer(settings)
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
    if args.command == "service-keys":
        return run_service_keys(settings, args)
    raise AssertionError(args.command)


def _mailer(settings: Settings) -> int:
    from .domain.clock import SystemClock
    from .mail.transports import InvalidMailUrl
    from .mail.worker import build_worker, run_until_signalled
    from .store import migrate
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    missing = migrate.pending(store.database)
    if missing:
        print(
            f"database needs migrations {', '.join(missing)}: run `aspel-licensing-server migrate`",
            file=sys.stderr,
        )
        return 2
    try:
        worker = build_worker(settings, store, SystemClock())
    except InvalidMailUrl as exc:
        print(exc, file=sys.stderr)
        return 2
    run_until_signalled(worker, settings.mail_poll_seconds)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
