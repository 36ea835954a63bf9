"""What a port speaks when it does not speak TLS, where it can be recognised from one exchange.

Plain HTTP answers a ClientHello itself (probe.py sees "HTTP/"). A Spark RPC port (the driver,
a standalone master or worker, the block manager) closes on a ClientHello without a byte;
asked in its own framing it answers: every Spark RPC frame is an 8-byte length, a message
type and the message. An RpcRequest with an empty body gets an RpcFailure (type 5) carrying
our request id and the JVM's exception text.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triplock.tlsscan.connector import Connector

SPARK_RPC_REQUEST, SPARK_RPC_RESPONSE, SPARK_RPC_FAILURE = 3, 4, 5
_REQUEST_ID = int.from_bytes(b"triplock", "big")

SPARK_RPC = (
    "Spark RPC on the port, not TLS: Spark's RPC encryption (spark.network.crypto.enabled) "
    "is AES inside Spark's own protocol, which no TLS client can observe; judge it with "
    "`triplock audit` on the Spark configuration"
)


def spark_rpc_request() -> bytes:
    """A Spark RPC frame: RpcRequest with our request id and an empty body."""
    message = struct.pack("!BqI", SPARK_RPC_REQUEST, _REQUEST_ID, 0)
    return struct.pack("!q", 8 + len(message)) + message


def is_spark_rpc_reply(data: bytes) -> bool:
    if len(data) < 17:
        return False
    (length,) = struct.unpack("!q", data[:8])
    kind, request_id = data[8], int.from_bytes(data[9:17], "big")
    return (
        length >= 17
        and kind in (SPARK_RPC_RESPONSE, SPARK_RPC_FAILURE)
        and request_id == _REQUEST_ID
    )


async def identify(conn: Connector) -> str | None:
    """A sentence naming what the port speaks, or None when it is not recognised."""
    reply = await conn.exchange(spark_rpc_request(), raw=True)
    if is_spark_rpc_reply(reply.raw):
        return SPARK_RPC
    return None
