"""The documented error reasons, read from where they are written: the classes of
`errors.py`, the README's "Error reasons" table and the proto comments
(`CODE, reason NAME` lines, per RPC and in each service's header), and the
services and methods of the API, found through the generated descriptors."""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from google.protobuf import descriptor, message, message_factory

import aspel.licensing.v1
from aspel.licensing.server import errors

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "protos" / "aspel" / "licensing" / "v1"
README = REPO_ROOT / "README.md"

_DOCUMENTED = re.compile(r"\b([A-Z][A-Z_]+), reason ([A-Z][A-Z_]+)\b")
_ANY_REASON = re.compile(r"\breason ([A-Z][A-Z_]+)\b")
# "Errors: those of GetUpgradeTerms, and ..." takes in another RPC's list.
_THOSE_OF = re.compile(r"\bthose of (\w+)\b")
_TABLE_ROW = re.compile(r"^\| `([A-Z_]+)` \| `([A-Z_]+)` \| .+\|$")


def error_classes() -> list[type[errors.LicensingError]]:
    """LicensingError and every subclass of it, depth first."""

    def walk(cls: type[errors.LicensingError]) -> Iterator[type[errors.LicensingError]]:
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    return list(walk(errors.LicensingError))


@cache
def reason_codes() -> dict[str, str]:
    """reason -> canonical code name, from errors.py."""
    return {cls.reason: cls.code for cls in error_classes()}


@cache
def api_reasons() -> frozenset[str]:
    """The reasons an RPC can answer (not those of the server's command line only)."""
    return frozenset(cls.reason for cls in error_classes() if cls.over_api)


def readme_table() -> dict[str, str]:
    """reason -> code of the README's "Error reasons" table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Error reasons", 1)[1].split("\n#", 1)[0]
    rows = [_TABLE_ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "a row of the Error reasons table is not | `REASON` | `CODE` | when |"
    return {m.group(1): m.group(2) for m in rows if m}


@dataclass(frozen=True)
class ProtoComments:
    """What the proto comments document: (code, reason) per service header and per RPC."""

    headers: dict[str, frozenset[tuple[str, str]]]  # service name -> header's pairs
    methods: dict[str, frozenset[tuple[str, str]]]  # "/pkg.Service/Method" -> its own pairs
    all_reason_mentions: frozenset[str]  # every `reason NAME` anywhere in the comments

    def documented_for(self, path: str) -> frozenset[tuple[str, str]]:
        """An RPC's pairs with those of its service's header."""
        service = path.split("/")[1]
        return self.methods[path] | self.headers[service]


@cache
def proto_comments() -> ProtoComments:
    headers: dict[str, frozenset[tuple[str, str]]] = {}
    methods: dict[str, frozenset[tuple[str, str]]] = {}
    mentions: set[str] = set()
    references: dict[str, list[str]] = {}
    for path in sorted(PROTO_DIR.glob("*.proto")):
        package = ""
        service = ""
        block: list[str] = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("//"):
                block.append(line[2:].strip())
                continue
            text = " ".join(block)
            mentions.update(_ANY_REASON.findall(text))
            pairs = frozenset(_DOCUMENTED.findall(text))
            if match := re.match(r"package ([\w.]+);", line):
                package = match.group(1)
            elif match := re.match(r"service (\w+) \{", line):
                service = f"{package}.{match.group(1)}"
                headers[service] = pairs
            elif match := re.match(r"rpc (\w+)\(", line):
                methods[f"/{service}/{match.group(1)}"] = pairs
                references[f"/{service}/{match.group(1)}"] = [
                    f"/{service}/{name}" for name in _THOSE_OF.findall(text)
                ]
            block = []
    for path, others in references.items():
        methods[path] = methods[path].union(*(methods[other] for other in others))
    return ProtoComments(headers, methods, frozenset(mentions))


# --- the API's services, from the generated descriptors -------------------------


@dataclass(frozen=True)
class Rpc:
    path: str  # "/aspel.licensing.v1.LicensingService/Authenticate"
    service: str
    name: str
    input: descriptor.Descriptor

    def request_class(self) -> type[message.Message]:
        return message_factory.GetMessageClass(self.input)


@cache
def services() -> tuple[descriptor.ServiceDescriptor, ...]:
    """Every service of every generated module of aspel.licensing.v1."""
    found: dict[str, descriptor.ServiceDescriptor] = {}
    for module in pkgutil.iter_modules(aspel.licensing.v1.__path__):
        if module.name.endswith("_pb2"):
            generated = importlib.import_module(f"aspel.licensing.v1.{module.name}")
            for service in generated.DESCRIPTOR.services_by_name.values():
                found[service.full_name] = service
    return tuple(found[name] for name in sorted(found))


@cache
def rpcs() -> tuple[Rpc, ...]:
    return tuple(
        Rpc(f"/{s.full_name}/{m.name}", s.full_name, m.name, m.input_type)
        for s in services()
        for m in s.methods
    )
