"""Does a Spark RPC port serve a client that skipped the authentication handshake?

Spark's transport frames every message as an 8-byte frame length, a 1-byte type and the
message. The probe sends one RpcRequest (type 3) whose body is 8 bytes that are neither an
AuthMessage, a SaslMessage nor a serialized RequestMessage, so no endpoint can receive it:
- a server with spark.authenticate=true hands it to its auth handler, which fails to parse an
  auth challenge ("Expected AuthMessage"/"Expected SaslMessage") or closes the connection;
- a server without authentication hands it to the RPC dispatcher, which fails to decode a
  RequestMessage and answers an RpcFailure naming a deserialization error: the port served an
  unauthenticated RPC as far as it could.
Nothing is ever dispatched, so the probe changes nothing on the server.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from triplock.live.http import HttpError, reason_of, time_left

_RPC_REQUEST = 3
_RPC_RESPONSE = 4
_RPC_FAILURE = 5
_BODY = b"triplock"
_REQUEST_ID = 0x7472_6970_6C6F_636B  # "triplock"
_AUTH_WORDS = ("AuthMessage", "SaslMessage", "auth", "Auth", "SASL")
_MAX_FRAME = 1024 * 1024


@dataclass(frozen=True)
class RpcAnswer:
    demands_auth: bool | None  # None: the port did not behave like Spark RPC
    said: str


def rpc_request_frame() -> bytes:
    header = struct.pack(">qBqi", 8 + 1 + 12 + len(_BODY), _RPC_REQUEST, _REQUEST_ID, len(_BODY))
    return header + _BODY


def probe_rpc(host: str, port: int, timeout: float) -> RpcAnswer:
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=time_left(deadline)) as sock:
            sock.sendall(rpc_request_frame())
            frame = _read_frame(sock, deadline)
    except TimeoutError:
        raise HttpError(f"{host}:{port} did not answer the RPC message in time") from None
    except OSError as e:
        raise HttpError(f"{host}:{port}: {reason_of(e)}") from None
    return judge_frame(frame)


def judge_frame(frame: bytes) -> RpcAnswer:
    if not frame:
        return RpcAnswer(True, "the connection was closed without an answer")
    kind = frame[0]
    if kind == _RPC_FAILURE and len(frame) >= 13:
        (length,) = struct.unpack(">i", frame[9:13])
        error = frame[13 : 13 + max(0, length)].decode("utf-8", "replace")
        first = error.strip().splitlines()[0][:200] if error.strip() else ""
        if any(word in error for word in _AUTH_WORDS):
            return RpcAnswer(True, f"refused before authentication: {first}")
        return RpcAnswer(False, f"handled without authentication: {first}")
    if kind == _RPC_RESPONSE:
        return RpcAnswer(False, "answered the RPC without authentication")
    return RpcAnswer(None, f"answered a frame of unknown type {kind}")


def _read_frame(sock: socket.socket, deadline: float) -> bytes:
    """One frame's type and payload (without its length), or b"" if the peer closed."""
    head = _read(sock, 8, deadline)
    if len(head) < 8:
        return b""
    (size,) = struct.unpack(">q", head)
    if not 9 <= size <= _MAX_FRAME:
        raise HttpError("the answer is not a Spark RPC frame")
    return _read(sock, size - 8, deadline)


def _read(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        sock.settimeout(time_left(deadline))
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data
