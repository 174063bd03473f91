"""`python -m aspel.licensing.client.decode_status`: every form a person may paste."""

from __future__ import annotations

import base64
import json

import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from aspel.licensing.client.decode_status import NotAStatus, decode_status, main


def packed(message: object) -> any_pb2.Any:
    holder = any_pb2.Any()
    holder.Pack(message)
    return holder


STATUS = status_pb2.Status(
    code=code_pb2.FAILED_PRECONDITION,
    message="The serial is already on the latest version.",
    details=[
        packed(
            error_details_pb2.ErrorInfo(
                reason="NO_UPGRADE_AVAILABLE",
                domain="licensing.aspel.com.mx",
                metadata={"serial_number": "7K3QD-M9X2A-PTW4H"},
            )
        ),
        packed(
            error_details_pb2.LocalizedMessage(
                locale="es-MX", message="Ya tienes la versión más reciente."
            )
        ),
    ],
)
EXPECTED = {
    "code": "FAILED_PRECONDITION",
    "message": "The serial is already on the latest version.",
    "details": [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "NO_UPGRADE_AVAILABLE",
            "domain": "licensing.aspel.com.mx",
            "metadata": {"serial_number": "7K3QD-M9X2A-PTW4H"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "es-MX",
            "message": "Ya tienes la versión más reciente.",
        },
    ],
}
RAW = STATUS.SerializeToString()


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(RAW).decode(),
        base64.b64encode(RAW).decode().rstrip("="),  # gRPC sends it unpadded
        base64.urlsafe_b64encode(RAW).decode(),
        f"buf: < (#3) Grpc-Status: 9\nbuf: < (#3) Grpc-Status-Details-Bin: "
        f"{base64.b64encode(RAW).decode().rstrip('=')}\nbuf: < (#3)\n",
    ],
    ids=["base64", "unpadded", "url-safe", "buf-curl-verbose"],
)
def test_decodes_the_grpc_status_details_bin_trailer(text: str) -> None:
    assert decode_status(text) == EXPECTED


def test_decodes_buf_curls_error_json() -> None:
    buf_curl_error = {
        "code": "failed_precondition",
        "message": STATUS.message,
        "details": [
            {
                "type": detail.type_url.rsplit("/", 1)[1],
                "value": base64.b64encode(detail.value).decode().rstrip("="),
            }
            for detail in STATUS.details
        ],
    }
    assert decode_status(json.dumps(buf_curl_error, indent=3)) == EXPECTED


def test_a_detail_of_an_unknown_type_is_shown_as_it_came() -> None:
    status = status_pb2.Status(
        code=code_pb2.INTERNAL,
        details=[any_pb2.Any(type_url="type.googleapis.com/acme.Unknown", value=b"\x08\x01")],
    )
    decoded = decode_status(base64.b64encode(status.SerializeToString()).decode())
    assert decoded["details"] == [
        {"@type": "type.googleapis.com/acme.Unknown", "value_base64": "CAE="}
    ]


@pytest.mark.parametrize("text", ["", "not base64 at all!", base64.b64encode(b"\xff\xff").decode()])
def test_what_is_not_a_status_is_refused(text: str) -> None:
    with pytest.raises(NotAStatus):
        decode_status(text)


def test_command_prints_readable_json_and_fails_on_garbage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([base64.b64encode(RAW).decode()]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == EXPECTED
    assert "versión más reciente" in out  # es-MX text printed as is, not \u escapes
    assert main(["%%%"]) == 1
    assert "decode_status:" in capsys.readouterr().err
