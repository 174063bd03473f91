"""Turns an error's rich details into JSON a person can read.

    buf curl ... 2>&1 >/dev/null | python -m aspel.licensing.client.decode_status
    python -m aspel.licensing.client.decode_status CBASI1Vua25vd24g...

gRPC sends an error's details (`google.rpc.ErrorInfo`, `LocalizedMessage`,
`BadRequest`) in the binary trailer `grpc-status-details-bin`: a base64
`google.rpc.Status`. buf curl prints each detail's bytes as base64 and grpcurl
`-v` prints the trailer, so neither is readable as it comes. This command reads
any of:

- the error JSON that buf curl prints on stderr (`{"code": ..., "details": [...]}`);
- any text with a `grpc-status-details-bin: <base64>` line, such as the
  output of `buf curl -v`;
- the bare base64 value of that trailer (standard or URL-safe, padded or not);

from its argument or, with none, from standard input, and prints the status with
every detail decoded, e.g.

    {"code": "UNAUTHENTICATED", "message": "...", "details": [
      {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
       "reason": "INVALID_CREDENTIALS", "domain": "licensing.aspel.com.mx"}, ...]}
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
from typing import Any

from google.protobuf import any_pb2, json_format
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2

# Imported for its side effect: the detail types it registers can be decoded.
_DETAIL_TYPES = error_details_pb2

TYPE_URL_PREFIX = "type.googleapis.com/"
_TRAILER = re.compile(r"grpc-status-details-bin:\s*([A-Za-z0-9+/_=-]+)", re.IGNORECASE)


class NotAStatus(ValueError):
    """The input holds no error status this command can read."""


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, with or without padding (gRPC omits it)."""
    cleaned = "".join(text.split())
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(cleaned)
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotAStatus(f"not base64: {exc}") from exc


def _detail_to_dict(detail: any_pb2.Any) -> dict[str, Any]:
    try:
        decoded: dict[str, Any] = json_format.MessageToDict(
            detail, preserving_proto_field_name=True
        )
    except (json_format.Error, TypeError, KeyError, DecodeError):
        # A type this command does not know: show it as it came.
        return {
            "@type": detail.type_url,
            "value_base64": base64.b64encode(detail.value).decode(),
        }
    return decoded


def _code_name(code: int) -> str:
    try:
        return str(code_pb2.Code.Name(code))
    except ValueError:
        return str(code)


def status_to_dict(status: Any) -> dict[str, Any]:
    """A `google.rpc.Status` as a dict: code name, message and decoded details."""
    return {
        "code": _code_name(status.code),
        "message": status.message,
        "details": [_detail_to_dict(detail) for detail in status.details],
    }


def decode_status_bytes(data: bytes) -> dict[str, Any]:
    """The serialized `google.rpc.Status` of `grpc-status-details-bin`, decoded."""
    status = status_pb2.Status()
    try:
        status.ParseFromString(data)
    except DecodeError as exc:
        raise NotAStatus(f"not a google.rpc.Status: {exc}") from exc
    return status_to_dict(status)


def _from_buf_curl_json(error: dict[str, Any]) -> dict[str, Any]:
    details = []
    for item in error.get("details", []):
        type_name = str(item.get("type", ""))
        type_url = type_name if "/" in type_name else TYPE_URL_PREFIX + type_name
        packed = any_pb2.Any(type_url=type_url, value=_b64decode(str(item.get("value", ""))))
        details.append(_detail_to_dict(packed))
    return {
        "code": str(error.get("code", "")).upper(),
        "message": error.get("message", ""),
        "details": details,
    }


def _json_object_in(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`, skipping `buf:` log lines of `buf curl -v`."""
    kept = "\n".join(line for line in text.splitlines() if not line.startswith("buf: "))
    start = kept.find("{")
    while start != -1:
        try:
            found, _ = json.JSONDecoder().raw_decode(kept, start)
        except json.JSONDecodeError:
            start = kept.find("{", start + 1)
            continue
        if isinstance(found, dict) and ("code" in found or "details" in found):
            return found
        start = kept.find("{", start + 1)
    return None


def decode_status(text: str) -> dict[str, Any]:
    """Reads any of the forms listed in the module's docstring."""
    trailer = _TRAILER.search(text)
    if trailer:
        return decode_status_bytes(_b64decode(trailer.group(1)))
    error = _json_object_in(text)
    if error is not None:
        return _from_buf_curl_json(error)
    if not text.strip():
        raise NotAStatus("no input: pass the base64 value or pipe buf curl's error output")
    return decode_status_bytes(_b64decode(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aspel.licensing.client.decode_status",
        description="Prints a gRPC error's google.rpc.Status with every detail decoded.",
        epilog="Input: buf curl's error JSON, `buf curl -v` output, or the base64 value "
        "of the grpc-status-details-bin trailer.",
    )
    parser.add_argument("value", nargs="?", help="what to decode (default: read standard input)")
    args = parser.parse_args(argv)
    text = args.value if args.value is not None else sys.stdin.read()
    try:
        decoded = decode_status(text)
    except NotAStatus as exc:
        print(f"decode_status: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(decoded, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
