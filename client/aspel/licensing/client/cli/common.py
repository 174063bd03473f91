"""What the command modules of both CLIs (`aspel-licensing`,
`aspel-licensing-admin`) share: the run context, user errors, exit codes, TLS
flags, the saved session and es-MX formatting (state labels included).

A command handler has the signature `handler(args, ctx) -> int` (the exit
code) and is attached to its command by `program.add_command`. It writes to
`ctx.out` / `ctx.err`, gets clients from `ctx`, and reports a problem of its
own by raising `CliError` with an es-MX message; `program.run` prints it (and
any `LicensingError` of the client library) and exits with `exit_code_for`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import textwrap
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import grpc
from google.type import date_pb2

from aspel.licensing.v1 import activation_pb2, subscription_pb2

from ..base import user_agent
from ..errors import FieldViolation, LicensingError
from ..licensing import LicensingClient
from ..session_file import Session, SessionFileError, load_session, session_path

SERVER_ENV = "ASPEL_LICENSING_SERVER"
DEFAULT_SERVER = "127.0.0.1:50051"
PROGRAM = "aspel-licensing"
NO_VALUE = "—"

#: Lines of a table never go past this column (a terminal, a ticket, an email).
TABLE_WIDTH = 100

NOTE_INDENT = "    "

Handler = Callable[[argparse.Namespace, "Context"], int]


# --- exit codes ------------------------------------------------------------------

EXIT_OK = 0
#: A problem found here: no session, a file that cannot be read, a licence that
#: does not verify, a question answered "no".
EXIT_FAILURE = 1
#: Bad options or arguments (argparse's own code).
EXIT_USAGE = 2
#: A failed call exits with this plus the gRPC status code's number.
EXIT_SERVER_BASE = 64
EXIT_INTERRUPTED = 130


def exit_code_for(error: LicensingError) -> int:
    """64 + the gRPC status code number: UNAUTHENTICATED (16) is 80, NOT_FOUND (5) 69."""
    number: int = error.code.value[0]
    return EXIT_SERVER_BASE + number


_EXAMPLE_CODES = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.UNAUTHENTICATED,
)


def exit_codes_help() -> str:
    """The `--help` epilog section on exit codes (the same in both CLIs)."""
    examples = [f"{EXIT_SERVER_BASE + c.value[0]} {c.name}" for c in _EXAMPLE_CODES]
    # Never split "69 NOT_FOUND" across lines.
    example_lines = [""]
    for item in examples:
        if example_lines[-1] and len(example_lines[-1]) + len(item) + 2 > 70:
            example_lines.append("")
        example_lines[-1] += (", " if example_lines[-1] else "") + item
    lines = [
        "códigos de salida:",
        f"  {EXIT_OK}     correcto",
        f"  {EXIT_FAILURE}     falla en este equipo (sesión, archivo, licencia que no se verifica)",
        f"  {EXIT_USAGE}     uso incorrecto (opciones o argumentos)",
        f"  {EXIT_SERVER_BASE}+N  el servidor respondió con el código gRPC N (o no hubo conexión):",
        *(f"        {line}" for line in example_lines),
        f"  {EXIT_INTERRUPTED}   cancelado con Ctrl+C",
    ]
    return "\n".join(lines)


# --- TLS -------------------------------------------------------------------------


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """--tls-ca, --tls-cert, --tls-key: TLS, and mutual TLS, to the server."""
    parser.add_argument(
        "--tls-ca", metavar="ARCHIVO", help="CA del servidor (PEM): la conexión usa TLS"
    )
    parser.add_argument(
        "--tls-cert", metavar="ARCHIVO", help="certificado de cliente (PEM), con --tls-key"
    )
    parser.add_argument("--tls-key", metavar="ARCHIVO", help="llave del certificado de cliente")


def channel_credentials(args: argparse.Namespace) -> grpc.ChannelCredentials | None:
    """The TLS credentials of the flags of `add_tls_arguments`; None for plaintext."""
    if not (args.tls_ca or args.tls_cert or args.tls_key):
        return None
    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("--tls-cert y --tls-key van juntos.", exit_code=EXIT_USAGE)

    def read(path: str | None) -> bytes | None:
        if path is None:
            return None
        try:
            return pathlib.Path(path).read_bytes()
        except OSError as exc:
            raise CliError(f"No se pudo leer {path} ({exc.strerror}).") from exc

    return grpc.ssl_channel_credentials(
        root_certificates=read(args.tls_ca),
        private_key=read(args.tls_key),
        certificate_chain=read(args.tls_cert),
    )


def add_product_version(parser: argparse.ArgumentParser) -> None:
    """--product and --version: the installed system a licence is for."""
    parser.add_argument("--product", required=True, metavar="SISTEMA", help="p. ej. SAE")
    parser.add_argument("--version", required=True, metavar="VERSION", help="p. ej. 8.0")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="imprime JSON para programas (campos estables, fechas ISO 8601)",
    )


class CliError(Exception):
    """A problem to tell the user (es-MX); the CLI exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class Context:
    """One run of the CLI: the common flags, the streams, the session in use."""

    #: --server or $ASPEL_LICENSING_SERVER; None when neither was given.
    explicit_server: str | None
    deadline: float
    out: TextIO
    err: TextIO
    inp: TextIO
    #: TLS credentials (--tls-ca ...), None for plaintext.
    credentials: grpc.ChannelCredentials | None = None
    #: The program's name, in its user agent.
    program: str = PROGRAM
    #: The saved session a command sent to the server, if any.
    session_in_use: Session | None = field(default=None, init=False)

    def server(self) -> str:
        """The server for calls that need no session."""
        return self.explicit_server or DEFAULT_SERVER

    def require_session(self) -> Session:
        """The saved login, or a clear CliError telling how to log in."""
        try:
            session = load_session()
        except SessionFileError as exc:
            raise CliError(
                f"No se pudo leer la sesión guardada en {session_path()} ({exc}). "
                f"Inicia sesión de nuevo con: {PROGRAM} login USUARIO"
            ) from exc
        if session is None:
            raise CliError(f"No has iniciado sesión. Inicia sesión con: {PROGRAM} login USUARIO")
        if self.explicit_server and self.explicit_server != session.server:
            # Never send a token to a server it was not issued by.
            raise CliError(
                f"Tu sesión guardada es del servidor {session.server}, no de "
                f"{self.explicit_server}. Inicia sesión en ese servidor con: "
                f"{PROGRAM} --server {self.explicit_server} login USUARIO"
            )
        return session

    def licensing_client(self, session: Session | None = None) -> LicensingClient:
        """A LicensingClient to the session's server (with its token) or to server()."""
        if session is None:
            return LicensingClient(self.server(), **self.client_options())
        self.session_in_use = session
        return LicensingClient(session.server, token=session.session_token, **self.client_options())

    def client_options(self) -> dict[str, Any]:
        """deadline, TLS credentials and user agent, for any client class."""
        return {
            "deadline": self.deadline,
            "credentials": self.credentials,
            "user_agent": user_agent(self.program),
        }

    def print(self, *lines: str) -> None:
        """Writes each of `lines` to `out`, each on its own line."""
        for line in lines:
            self.out.write(line + "\n")

    def ask(self, question: str) -> str:
        """Prints `question` and reads one line of the answer ("" at end of input)."""
        self.out.write(question)
        self.out.flush()
        return self.inp.readline().strip()

    def confirm(self, question: str) -> bool:
        """A yes/no question whose default is no."""
        return self.ask(f"{question} [s/N] ").lower() in {"s", "si", "sí", "y", "yes"}


# --- errors --------------------------------------------------------------------

_TRANSPORT_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: (
        "No se pudo conectar con el servidor {server}. Verifica la dirección (--server o "
        f"{SERVER_ENV}) y que el servidor esté en servicio."
    ),
    grpc.StatusCode.DEADLINE_EXCEEDED: (
        "El servidor {server} no respondió a tiempo. Intenta de nuevo en unos minutos "
        "o aumenta el tiempo de espera con --deadline."
    ),
    grpc.StatusCode.UNIMPLEMENTED: (
        "El servidor {server} no ofrece esta operación. Verifica que sea un servidor de "
        "licencias Aspel actualizado."
    ),
}


def describe_error(error: LicensingError, server: str) -> list[str]:
    """The lines that tell the user what failed, for stderr."""
    if error.reason:
        lines = [f"Error: {error.message} ({error.reason})"]
    else:
        # No ErrorInfo: the failure came from the connection, not the server's rules.
        template = _TRANSPORT_MESSAGES.get(error.code)
        text = template.format(server=server) if template else error.message
        lines = [f"Error: {text} ({error.code.name})"]
    lines.extend(_violation_line(v) for v in error.field_violations)
    if error.request_info is not None and error.request_info.request_id:
        # What support needs to find this call in the server's logs.
        lines.append(f"Referencia para soporte: {error.request_info.request_id}")
    if error.reason == "SCOPE_MISSING":
        lines.append(
            f"Tu llave necesita el alcance {error.metadata.get('scope', '?')}; pide una "
            "llave con ese alcance a quien administra el servidor."
        )
    return lines


def _violation_line(violation: FieldViolation) -> str:
    return f"  - {violation.field}: {violation.description}"


# --- formatting ------------------------------------------------------------------

#: What every command calls a subscription's state.
SUBSCRIPTION_STATES = {
    subscription_pb2.SUBSCRIPTION_STATE_ACTIVE: "Activo",
    subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED: "Reemplazado",
    subscription_pb2.SUBSCRIPTION_STATE_INACTIVE: "Inactivo",
    subscription_pb2.SUBSCRIPTION_STATE_SUSPENDED: "Suspendido",
    subscription_pb2.SUBSCRIPTION_STATE_OVERDUE: "Pago vencido",
}


#: What every command calls an installation's state (its seat).
ACTIVATION_STATES = {
    activation_pb2.ACTIVATION_STATE_ACTIVE: "Activa",
    activation_pb2.ACTIVATION_STATE_RELEASE_PENDING: "Liberada (lugar ocupado)",
    activation_pb2.ACTIVATION_STATE_RELEASED: "Liberada",
}


def state_label(state: subscription_pb2.SubscriptionState) -> str:
    """The es-MX name of a subscription state; a dash for one this client does not know."""
    return SUBSCRIPTION_STATES.get(state, NO_VALUE)


def activation_state_label(state: activation_pb2.ActivationState) -> str:
    """The es-MX name of an installation's state; a dash for one this client does not know."""
    return ACTIVATION_STATES.get(state, NO_VALUE)


def release_lines(activation: activation_pb2.Activation, transfers_remaining: int) -> list[str]:
    """What a release says: whether the seat is free now or when it will be."""
    from ..convert import time_of

    host = activation.hostname or activation.activation_id
    lines = [f"Se liberó la instalación de {host} ({activation.activation_id})."]
    free = time_of(activation.seat_free_time)
    if activation.state == activation_pb2.ACTIVATION_STATE_RELEASE_PENDING and free:
        lines.append(
            "Su licencia sigue vigente: el lugar queda ocupado hasta el "
            f"{format_local_time(free)} (hora de este equipo)."
        )
    else:
        lines.append("Su lugar ya está libre: puedes activar el sistema en otro equipo.")
    if transfers_remaining == 1:
        lines.append("Te queda 1 transferencia inmediata este año.")
    else:
        lines.append(f"Te quedan {transfers_remaining} transferencias inmediatas este año.")
    return lines


def activation_table(activations: Sequence[activation_pb2.Activation]) -> list[str]:
    """A serial's installations: which hold a seat, and when a released one's seat frees."""
    if not activations:
        return ["(sin instalaciones activadas)"]
    from ..convert import time_of

    def when(value: Any) -> str:
        instant = time_of(value)
        return format_local_time(instant) if instant else NO_VALUE

    return format_table(
        ("Equipo", "Estado", "Versión", "Activada", "Última validación", "Lugar libre", "Id"),
        [
            (
                a.hostname or NO_VALUE,
                activation_state_label(a.state),
                f"{a.product_code} {a.version}",
                when(a.create_time),
                when(a.last_validate_time),
                when(a.seat_free_time),
                a.activation_id,
            )
            for a in activations
        ],
        keep={6},
    )


def format_date(value: date_pb2.Date | dt.date | None) -> str:
    """dd/mm/yyyy, as the portal shows dates; a dash for an unset date."""
    if isinstance(value, date_pb2.Date):
        if not (value.year and value.month and value.day):
            return NO_VALUE
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if value is None:
        return NO_VALUE
    return value.strftime("%d/%m/%Y")


def format_local_time(value: dt.datetime) -> str:
    """dd/mm/yyyy hh:mm in this computer's time zone."""
    return value.astimezone().strftime("%d/%m/%Y %H:%M")


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int = TABLE_WIDTH,
    keep: Collection[int] = (),
    notes: Sequence[str] | None = None,
) -> list[str]:
    """Left-aligned columns separated by two spaces, with a rule under the header.

    `notes`, one per row ("" for none), go on their own indented lines under
    the row: long free text (an event's details) that would squeeze every
    column if it were one.

    When the natural widths do not fit in `width`, the widest columns are made
    narrower and their cells (headers too) wrap onto more lines: first down to
    their longest word, then, if still needed, breaking words. The columns in
    `keep` (serial numbers, ids: people copy them) are never narrowed.
    """
    columns = len(headers)
    table = [list(headers), *(list(row) for row in rows)]
    natural = [max(len(row[i]) for row in table) for i in range(columns)]
    longest_word = [
        max((len(word) for row in table for word in row[i].split()), default=1)
        for i in range(columns)
    ]
    budget = width - 2 * (columns - 1)
    widths = list(natural)
    for floor in (longest_word, [4] * columns):
        while sum(widths) > budget:
            shrinkable = [
                i for i in range(columns) if i not in keep and widths[i] > max(floor[i], 1)
            ]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1

    def lines(cells: Sequence[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(cell, w, break_long_words=True, break_on_hyphens=False) or [""]
            if len(cell) > w
            else [cell]
            for cell, w in zip(cells, widths, strict=True)
        ]
        height = max(len(parts) for parts in wrapped)
        return [
            "  ".join(
                (parts[n] if n < len(parts) else "").ljust(w)
                for parts, w in zip(wrapped, widths, strict=True)
            ).rstrip()
            for n in range(height)
        ]

    result = lines(headers)
    result.append("  ".join("-" * w for w in widths))
    for number, row in enumerate(rows):
        result.extend(lines(row))
        note = notes[number] if notes is not None else ""
        if note:
            result.extend(
                textwrap.wrap(
                    note,
                    width,
                    initial_indent=NOTE_INDENT,
                    subsequent_indent=NOTE_INDENT,
                    break_on_hyphens=False,
                )
            )
    return result
