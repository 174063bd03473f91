"""`aspel-licensing-server`: serve, mailer, reminders, migrate, seed-demo, keys,
service-keys, outbox, reclaim-seats, import."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from . import __version__
from .settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_LISTEN,
    DEFAULT_PURCHASE_URL,
    DEFAULT_SIGNING_KEY_FILE,
    DEFAULT_SMTP_URL,
    ENV_PREFIX,
    Settings,
    SettingsError,
    unknown_variables,
)

if TYPE_CHECKING:
    from .store.database import Store


def _global_options(*, suppress: bool) -> argparse.ArgumentParser:
    """The global flags, accepted before the command and after it
    (`migrate --database URL`). After it their default is SUPPRESS, so an
    absent flag there does not undo one given before."""
    options = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    options.add_argument(
        "--database",
        metavar="URL",
        default=default,
        help=f"database URL (env {ENV_PREFIX}DATABASE_URL; default {DEFAULT_DATABASE_URL})",
    )
    options.add_argument(
        "--listen",
        metavar="ADDR",
        default=default,
        help=f"host:port to serve on (env {ENV_PREFIX}LISTEN; default {DEFAULT_LISTEN})",
    )
    options.add_argument(
        "--signing-key-file",
        metavar="PATH",
        default=default,
        help=(
            f"licence signing keys (env {ENV_PREFIX}SIGNING_KEY_FILE; "
            f"default {DEFAULT_SIGNING_KEY_FILE})"
        ),
    )
    options.add_argument(
        "--smtp-url",
        metavar="URL",
        default=default,
        help=(
            f"where email goes: smtp://user:pass@host:587, smtps://user:pass@host:465 or "
            f"file:var/mail (env {ENV_PREFIX}SMTP_URL; default {DEFAULT_SMTP_URL})"
        ),
    )
    options.add_argument(
        "--purchase-url",
        metavar="URL",
        default=default,
        help=(
            f"where a new version of a perpetual licence is bought (env {ENV_PREFIX}PURCHASE_URL;"
            f" default {DEFAULT_PURCHASE_URL})"
        ),
    )
    options.add_argument(
        "--metrics-listen",
        metavar="ADDR",
        default=default,
        help=f"host:port of the Prometheus /metrics endpoint (env {ENV_PREFIX}METRICS_LISTEN; "
        "default: none)",
    )
    options.add_argument(
        "--log-level",
        default=default,
        help=f"logging level (env {ENV_PREFIX}LOG_LEVEL; default INFO)",
    )
    options.add_argument(
        "--log-format",
        choices=["json", "text"],
        default=default,
        help=f"log lines as JSON or text (env {ENV_PREFIX}LOG_FORMAT; default: json when "
        "stderr is not a terminal, text when it is)",
    )
    options.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show the traceback of an operator error instead of one line",
    )
    return options


def _seat_options(parser: argparse.ArgumentParser, *, interval: bool) -> None:
    """The seat rule's settings (domain/seats.py), on the commands that apply it."""
    parser.add_argument(
        "--seat-transfers-per-year",
        type=int,
        metavar="N",
        help="releases per serial per rolling year that free a seat at once "
        f"(env {ENV_PREFIX}SEAT_TRANSFERS_PER_YEAR; default 2)",
    )
    parser.add_argument(
        "--seat-reclaim-after-days",
        type=int,
        metavar="DAYS",
        help="days after its licence expired without a validation at which an activation "
        f"is released (env {ENV_PREFIX}SEAT_RECLAIM_AFTER_DAYS; default 30)",
    )
    if interval:
        parser.add_argument(
            "--seat-reclaim-interval-seconds",
            type=float,
            metavar="SECONDS",
            help="how often a thread reclaims seats; 0: never "
            f"(env {ENV_PREFIX}SEAT_RECLAIM_INTERVAL_SECONDS; default 3600)",
        )


def _switch(parser: argparse.ArgumentParser, flag: str, help: str) -> None:
    """An on/off option: False unless given."""
    parser.add_argument(flag, action="store_true", help=help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aspel-licensing-server",
        description="The Aspel licensing gRPC server and its maintenance commands.",
        parents=[_global_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    after = _global_options(suppress=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve gRPC until SIGTERM (drains in-flight calls); also delivers email",
        parents=[after],
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=f"server processes sharing the port (env {ENV_PREFIX}WORKERS; default 1)",
    )
    _seat_options(serve, interval=True)
    _switch(
        serve,
        "--no-reminders",
        f"do not send reminders from here (cron runs `reminders`; env {ENV_PREFIX}REMINDERS=0)",
    )
    _switch(
        serve,
        "--no-mailer",
        f"do not deliver email here (a separate `mailer` does; env {ENV_PREFIX}MAIL_WORKER=0)",
    )
    commands.add_parser(
        "mailer",
        help="deliver queued email until SIGTERM (for deployments that run it apart from serve)",
        parents=[after],
    )
    reminders = commands.add_parser(
        "reminders",
        help="queue the customer reminders due now, each once (payments, idle installations, "
        "upgrades); for cron when serve runs with --no-reminders",
        parents=[after],
    )
    _switch(reminders, "--dry-run", "only list the reminders that would be queued")
    commands.add_parser(
        "migrate", help="create or bring the database schema up to date", parents=[after]
    )
    commands.add_parser(
        "config",
        help="print the effective settings (flags, environment, defaults), passwords hidden",
        parents=[after],
    )
    seed = commands.add_parser(
        "seed-demo", help="load the demo accounts and catalog", parents=[after]
    )
    _switch(seed, "--if-empty", "succeed quietly when the database already has accounts")
    importing = commands.add_parser(
        "import",
        help="import existing (legacy) serials from a CSV file, one transaction per row; "
        "a re-run imports nothing twice (README: Importing existing serials)",
        parents=[after],
    )
    importing.add_argument("file", metavar="FILE.csv", help="the CSV file (UTF-8, header row)")
    _switch(importing, "--dry-run", "check every row and report, writing nothing")
    add_key_commands(commands, after)
    reclaim = commands.add_parser(
        "reclaim-seats",
        help="release the activations silent since their licence expired; prints how many",
        parents=[after],
    )
    _seat_options(reclaim, interval=False)
    _add_service_key_commands(commands, after)
    _add_outbox_commands(commands, after)
    return parser


def add_key_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    after: argparse.ArgumentParser | None = None,
) -> None:
    keys = commands.add_parser(
        "keys",
        help="manage the Ed25519 keys that sign licences",
        parents=[after] if after is not None else [],
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    nested: list[argparse.ArgumentParser] = [after] if after is not None else []
    generate = actions.add_parser(
        "generate", help="create the key file with a first key", parents=nested
    )
    _switch(generate, "--if-missing", "succeed quietly when the key file already exists")
    actions.add_parser(
        "rotate",
        help="add a new signing key; the former one still verifies old licences",
        parents=nested,
    )
    listing = actions.add_parser(
        "list", help="show the public keys (never the private ones)", parents=nested
    )
    _switch(
        listing,
        "--json",
        'print {"key_id": "base64 public key"}, the pinned-keys file of the client',
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


# --- service-keys: the keys internal services present on AdminService ------


def _add_service_key_commands(
    commands: argparse._SubParsersAction, after: argparse.ArgumentParser
) -> None:
    keys = commands.add_parser(
        "service-keys",
        help="create, list and revoke the keys of internal services",
        parents=[after],
    )
    actions = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a key and print its secret (shown only this once)", parents=[after]
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
    listing = actions.add_parser(
        "list", help="list the keys, their scopes and whether they are revoked", parents=[after]
    )
    _switch(
        listing,
        "--json",
        "print a JSON list (name, scopes, create_time, revoke_time; never the secret)",
    )
    revoke = actions.add_parser(
        "revoke", help="revoke a key at once (its name is not reused)", parents=[after]
    )
    revoke.add_argument("name")


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _service_key_json(key: Any) -> dict[str, Any]:
    """A service key for scripts: instants in ISO 8601 (UTC), no secret, no hash."""
    return {
        "name": key.name,
        "scopes": list(key.scopes),
        "create_time": key.create_time.isoformat(),
        "revoke_time": key.revoke_time.isoformat() if key.revoke_time else None,
    }


def _needs_migrations(store: Store) -> bool:
    """True, said on stderr with the missing migrations, when the schema is
    behind this version: a command must not run on it."""
    from .store.migrate import pending

    missing = pending(store.database)
    if missing:
        print(
            f"database needs migrations {', '.join(missing)}: run `aspel-licensing-server migrate`",
            file=sys.stderr,
        )
    return bool(missing)


def run_service_keys(settings: Settings, args: argparse.Namespace) -> int:
    from .domain.clock import BusinessCalendar, SystemClock
    from .domain.service_keys import ServiceKeyService
    from .errors import LicensingError
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    if _needs_migrations(store):
        return 2
    keys = ServiceKeyService(store, BusinessCalendar(SystemClock(), settings.business_timezone))
    try:
        if args.key_command == "create":
            created = keys.create(args.name, args.scopes, _operator())
            print(f"service key {created.key.name} ({', '.join(created.key.scopes)}):")
            print(created.secret)
            print("Store it now: it is shown only once. Use it as `authorization: Bearer <key>`.")
        elif args.key_command == "list" and args.json:
            print(json.dumps([_service_key_json(key) for key in keys.list()], indent=2))
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


TEXT_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"


def configure_logging(level: str, log_format: str = "text") -> None:
    """`text` for a person at a terminal; `json` (one object per line, the
    request log's fields as keys) for a collector. `--log-format`'s default
    is json when stderr is not a terminal (systemd, containers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(log_formatter(log_format))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    peewee_log = logging.getLogger("peewee")
    if not any(isinstance(f, SqlWithoutParameters) for f in peewee_log.filters):
        peewee_log.addFilter(SqlWithoutParameters())


def log_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
    return logging.Formatter(TEXT_FORMAT)


def default_log_format() -> str:
    return "text" if sys.stderr.isatty() else "json"


def _operator_errors() -> tuple[type[BaseException], ...]:
    """What an operator can fix (a setting, a port, the database, a file):
    one line and status 2, not a traceback (`--debug` shows it)."""
    import peewee

    from .app import CannotListen, SchemaNotCurrent
    from .domain.signing import KeyFileError
    from .mail.transports import InvalidMailUrl

    return (
        SettingsError,
        SchemaNotCurrent,
        KeyFileError,
        InvalidMailUrl,
        CannotListen,
        peewee.OperationalError,
        peewee.ImproperlyConfigured,
        OSError,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for warning in unknown_variables():
        print(warning, file=sys.stderr)
    try:
        settings = Settings.from_env(
            database_url=args.database,
            listen=args.listen,
            smtp_url=args.smtp_url,
            mail_worker=False if getattr(args, "no_mailer", False) else None,
            reminders=False if getattr(args, "no_reminders", False) else None,
            signing_key_file=args.signing_key_file,
            metrics_listen=args.metrics_listen,
            purchase_url=args.purchase_url,
            log_level=args.log_level,
            log_format=args.log_format,
            workers=getattr(args, "workers", None),
            seat_transfers_per_year=getattr(args, "seat_transfers_per_year", None),
            seat_reclaim_after_days=getattr(args, "seat_reclaim_after_days", None),
            seat_reclaim_interval_seconds=getattr(args, "seat_reclaim_interval_seconds", None),
        )
    except SettingsError as exc:
        print(f"aspel-licensing-server: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format or default_log_format())
    try:
        return _run(args, settings)
    except _operator_errors() as exc:
        if args.debug:
            raise
        # One line: psycopg's messages run over several.
        text = str(exc).strip()
        line = text.splitlines()[0] if text else type(exc).__name__
        print(f"aspel-licensing-server: {line}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "keys":
        return run_keys(args, settings)
    if args.command == "config":
        for name, value in settings.redacted().items():
            print(f"{ENV_PREFIX}{name.upper()}={value}")
        return 0
    if args.command == "outbox":
        return run_outbox(args, settings)
    if args.command == "serve":
        from .app import build_services, serve_workers
        from .mail.transports import from_url

        # Checked once up front, so a stale schema, unusable signing keys or
        # a bad --smtp-url fail before any fork (one line, status 2: main).
        services = build_services(settings)
        services.store.close()
        services.activation.keys.current()
        if settings.mail_worker:
            from_url(settings.smtp_url)
        return serve_workers(settings, settings.workers)
    if args.command == "mailer":
        return _mailer(settings)
    if args.command == "reminders":
        return _reminders(settings, dry_run=args.dry_run)
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
    if args.command == "reclaim-seats":
        return _reclaim_seats(settings)
    if args.command == "import":
        return _import(settings, args.file, dry_run=args.dry_run)
    raise AssertionError(args.command)


def _reclaim_seats(settings: Settings) -> int:
    """Safe beside running servers and other runs: each activation is reclaimed once."""
    from .domain.clock import BusinessCalendar, SystemClock
    from .domain.installations import InstallationService
    from .settings import seat_policy
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    try:
        if _needs_migrations(store):
            return 2
        calendar = BusinessCalendar(SystemClock(), settings.business_timezone)
        reclaimed = InstallationService(store, calendar, seat_policy(settings)).reclaim()
        print(f"reclaimed {reclaimed} seats")
        return 0
    finally:
        store.close()


# --- outbox: the operator's view of FAILED mail ------------------------------


def _add_outbox_commands(
    commands: argparse._SubParsersAction, after: argparse.ArgumentParser
) -> None:
    outbox = commands.add_parser(
        "outbox", help="list the queued email and send a failed one again", parents=[after]
    )
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="the messages, oldest first (never their content)", parents=[after]
    )
    listing.add_argument("--state", choices=["PENDING", "SENDING", "SENT", "FAILED"])
    listing.add_argument("--limit", type=int, default=100)
    retry = actions.add_parser(
        "retry",
        help="send a FAILED (or waiting) message again now, its attempts counted anew",
        parents=[after],
    )
    retry.add_argument("id", type=int, help="the message's id, as `outbox list` shows it")


def run_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """Shows ids, kinds, states, attempts and the last error's first line:
    never the recipient nor the payload (reset links are secrets)."""
    from .domain.clock import SystemClock
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    try:
        if _needs_migrations(store):
            return 2
        if args.outbox_command == "list":
            with store.read() as tx:
                messages = tx.outbox.find_messages(state=args.state, limit=args.limit)
                for m in messages:
                    error = m.last_error.splitlines()[0][:120] if m.last_error else "-"
                    print(
                        f"{m.id}\t{m.state}\t{m.kind}\tattempts={m.attempts}\t"
                        f"queued {m.create_time:%Y-%m-%d %H:%M}Z\t"
                        f"next {m.next_attempt_time:%Y-%m-%d %H:%M}Z\t{error}"
                    )
            return 0
        with store.write() as tx:
            retried = tx.outbox.retry_now(message_id=args.id, now=SystemClock().now())
        if not retried:
            print(f"no FAILED or PENDING message {args.id}", file=sys.stderr)
            return 1
        print(f"message {args.id} will be sent again now")
        return 0
    finally:
        store.close()


def _mailer(settings: Settings) -> int:
    from .domain.clock import SystemClock
    from .mail.transports import InvalidMailUrl
    from .mail.worker import build_worker, run_until_signalled
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    if _needs_migrations(store):
        return 2
    try:
        worker = build_worker(settings, store, SystemClock())
    except InvalidMailUrl as exc:
        print(exc, file=sys.stderr)
        return 2
    run_until_signalled(worker, settings.mail_poll_seconds)
    store.close()
    return 0


def _reminders(settings: Settings, *, dry_run: bool) -> int:
    """One run: prints a line per reminder (kind, serial, occasion), never an address."""
    from .domain.clock import BusinessCalendar, SystemClock
    from .reminders import build_reminders
    from .store.database import Store

    store = Store.from_url(settings.database_url)
    try:
        if _needs_migrations(store):
            return 2
        calendar = BusinessCalendar(SystemClock(), settings.business_timezone)
        with store.connection():
            done = build_reminders(settings, store, calendar).run(dry_run=dry_run)
        for reminder in done:
            print(f"{reminder.kind}\t{reminder.serial_number}\t{reminder.occasion}")
        verb = "would queue" if dry_run else "queued"
        print(f"{verb} {len(done)} reminder(s)", file=sys.stderr)
        return 0
    finally:
        store.close()


def _import(settings: Settings, path: str, *, dry_run: bool) -> int:
    """One transaction per row: a refused row (line number and es-MX reason on
    stdout) leaves the others imported. Each row goes through the checks of
    AdminService.ImportSubscription. Status 0 when no row was refused, 1
    otherwise, 2 when the file or the database cannot be used."""
    from aspel.licensing.client.legacy_import import Refused, read_rows, request_of

    from .domain.admin.imports import ImportAdmin
    from .domain.clock import BusinessCalendar, SystemClock
    from .domain.service_keys import Actor
    from .errors import LicensingError
    from .store.database import Store
    from .transport.admin_servicer import legacy_subscription

    with open(path, "rb") as source:
        data = source.read()
    store = Store.from_url(settings.database_url)
    try:
        if _needs_migrations(store):
            return 2
        imports = ImportAdmin(store, BusinessCalendar(SystemClock(), settings.business_timezone))
        actor = Actor("server-import", frozenset({"billing"}), peer=f"operator:{_operator()}")
        imported = already = refused = 0
        with store.connection():
            for row in read_rows(data):
                if isinstance(row, Refused):
                    print(f"línea {row.line}: rechazada: {row.reason}")
                    refused += 1
                    continue
                try:
                    legacy, _ = legacy_subscription(request_of(row))
                    done = imports.import_subscription(actor, legacy, key=None, dry_run=dry_run)
                except LicensingError as exc:
                    print(f"línea {row.line}: rechazada: {_reason_es(exc)}")
                    refused += 1
                    continue
                if done.already_imported:
                    print(f"línea {row.line}: {legacy.serial_number} ya estaba importado")
                    already += 1
                else:
                    verb = "se importaría" if dry_run else "importado"
                    print(f"línea {row.line}: {legacy.serial_number} {verb}")
                    imported += 1
        verb = "would import" if dry_run else "imported"
        print(f"{verb} {imported}, already imported {already}, refused {refused}", file=sys.stderr)
        return 1 if refused else 0
    finally:
        store.close()


def _reason_es(exc: Any) -> str:
    """The es-MX text of an error, with its field violations when it has them."""
    fields = "; ".join(f"{name}: {text}" for name, text in exc.field_violations)
    return f"{exc.message_es} ({fields})" if fields else str(exc.message_es)


if __name__ == "__main__":
    sys.exit(main())
