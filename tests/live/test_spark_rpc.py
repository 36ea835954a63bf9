"""The Spark RPC frame the probe sends and how answers are read (the real servers' answers are
asserted in test_spark_cluster.py)."""

from __future__ import annotations

import struct

import pytest

from triplock.live.spark_rpc import judge_frame, rpc_request_frame


def test_frame_is_one_rpc_request_with_its_length() -> None:
    frame = rpc_request_frame()
    (length, kind, _request_id, body_size) = struct.unpack(">qBqi", frame[:21])
    assert length == len(frame)
    assert kind == 3  # RpcRequest
    assert body_size == len(frame) - 21


def _failure(text: str) -> bytes:
    error = text.encode()
    return bytes([5]) + struct.pack(">q", 1) + struct.pack(">i", len(error)) + error


@pytest.mark.parametrize(
    ("frame", "demands"),
    [
        (_failure("java.lang.IllegalStateException: Expected SaslMessage, received"), True),
        (_failure("java.io.EOFException\n\tat java.io.DataInputStream"), False),
        (b"", True),  # closed on us
        (bytes([4]) + struct.pack(">qi", 1, 0), False),  # an RpcResponse
        (bytes([9]), None),  # not Spark
    ],
)
def test_answers(frame: bytes, demands: bool | None) -> None:
    assert judge_frame(frame).demands_auth is demands
