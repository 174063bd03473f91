"""argparse in Spanish, for the es-MX command lines of this package.

argparse takes its own texts ("usage: ", "the following arguments are
required", the `-h` line) from gettext's `_`, looked up as a global of the
`argparse` module each time it is used. `SpanishArgumentParser` puts the
translation of `MESSAGES` in that place only while one of its own methods
runs (building the parser, parsing, formatting help or an error), and puts
the previous function back afterwards: other parsers in the same process
keep their own language. Subparsers are of the same class (argparse uses
`type(self)` for them), so every command speaks Spanish.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

#: argparse's messages (Python 3.11) and their es-MX text; unknown ones stay as they are.
MESSAGES: dict[str, str] = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "muestra esta ayuda y termina",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "the following arguments are required: %s": "faltan argumentos obligatorios: %s",
    "one of the arguments %s is required": "se necesita uno de los argumentos %s",
    "unrecognized arguments: %s": "argumentos no reconocidos: %s",
    "not allowed with argument %s": "no se permite junto con el argumento %s",
    "ignored explicit argument %r": "se ignoró el valor explícito %r",
    "expected one argument": "falta su valor",
    "expected at most one argument": "se esperaba a lo más un valor",
    "expected at least one argument": "se esperaba al menos un valor",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opción ambigua: %(option)s puede ser %(matches)s"
    ),
    "unexpected option string: %s": "opción inesperada: %s",
    "invalid %(type)s value: %(value)r": "valor no válido (%(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "valor no válido: %(value)r (elige entre %(choices)s)"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "comando desconocido %(parser_name)r (comandos: %(choices)s)"
    ),
}
#: ngettext's (singular, plural) pairs of argparse.
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): (
        "se esperaba %s valor",
        "se esperaban %s valores",
    ),
}


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def spanish() -> Iterator[None]:
    """argparse speaks Spanish inside the block (re-entrant)."""
    previous = (vars(argparse)["_"], vars(argparse)["ngettext"])
    setattr(argparse, "_", gettext)  # noqa: B010 - a module global, on purpose
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", previous[0])  # noqa: B010
        setattr(argparse, "ngettext", previous[1])  # noqa: B010


T = TypeVar("T")


def _in_spanish(method: Callable[..., T]) -> Callable[..., T]:
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with spanish():
            return method(*args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class SpanishArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own texts are es-MX (see the module docstring)."""

    @_in_spanish
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    @_in_spanish
    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return super().parse_known_args(args, namespace)

    @_in_spanish
    def format_usage(self) -> str:
        return super().format_usage()

    @_in_spanish
    def format_help(self) -> str:
        return super().format_help()

    @_in_spanish
    def error(self, message: str) -> NoReturn:
        super().error(message)


__all__ = ["MESSAGES", "SpanishArgumentParser", "spanish"]
