"""The sandbox's wire format: length-prefixed JSON objects over one pipe each way.

A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one
object. Both sides use it; it is standard library only because the child imports it before
it confines itself. The parent reads frames through ``FrameReader`` with a byte cap, so a
child can make it hold no more than one capped frame, and never executes what it reads.

JSON is written and read by ``_json``, the C half of the standard library's ``json``, with
the settings ``json.dumps``/``json.loads`` pass it (the same bytes): ``json`` itself imports
``re``, which is a fifth of the child's start.
"""

from __future__ import annotations

import _json
import os
import struct

TYPE_CHECKING = False  # not typing's: the child imports this module, and typing costs ~10 ms
if TYPE_CHECKING:
    from typing import Any

HEADER = struct.Struct(">I")
"""The length prefix of a frame."""


class ProtocolError(ValueError):
    """Bytes that are not a frame the reader accepts (too long, not JSON, not an object)."""


def _unknown(value: object) -> None:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(message: dict[str, Any]) -> bytes:
    """One frame holding ``message``: ``json.dumps(message, allow_nan=False,
    sort_keys=True, separators=(",", ":"))`` as UTF-8.

    :raise ValueError: a value JSON cannot hold (NaN, infinity, a circular reference).
    :raise TypeError: an object JSON does not know (a set, a numpy integer).
    """
    encoder = _json.make_encoder(
        {}, _unknown, _json.encode_basestring_ascii, None, ":", ",", True, False, False
    )
    data = "".join(encoder(message, 0)).encode("ascii")
    return HEADER.pack(len(data)) + data


class _Parsing:
    """The options ``json.loads`` gives its scanner, with NaN and infinities refused."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")


_SCANNER = _json.make_scanner(_Parsing())


def decode(body: bytes) -> dict[str, Any]:
    """The object of one frame's body.

    :raise ProtocolError: not UTF-8 JSON (NaN and infinities refused, nothing around the
        value), or not an object.
    """
    try:
        text = body.decode("utf-8")
        message, end = _SCANNER(text, 0)
    except StopIteration:
        raise ProtocolError("the frame is not JSON: it holds no value") from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, an int of 5,000 digits
        raise ProtocolError(f"the frame is not JSON: {type(exc).__name__}") from None
    if end != len(text):
        raise ProtocolError("the frame is not JSON: something follows its value")
    if not isinstance(message, dict):
        raise ProtocolError(f"the frame holds a {type(message).__name__}, not an object")
    return message


class FrameReader:
    """Splits a byte stream into messages; a frame longer than ``max_bytes`` is refused from
    its header, before its body is read."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def wanted(self) -> int:
        """How many more bytes complete the frame being read (at least 1)."""
        if len(self._buffer) < HEADER.size:
            return HEADER.size - len(self._buffer)
        (length,) = HEADER.unpack_from(self._buffer)
        return max(1, HEADER.size + length - len(self._buffer))

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The messages ``data`` completes, in order.

        :raise ProtocolError: a frame is longer than ``max_bytes`` or not a JSON object.
        """
        self._buffer += data
        messages = []
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > self.max_bytes:
                raise FrameTooLong(length, self.max_bytes)
            if len(self._buffer) < HEADER.size + length:
                break
            body = bytes(self._buffer[HEADER.size : HEADER.size + length])
            del self._buffer[: HEADER.size + length]
            messages.append(decode(body))
        return messages


class FrameTooLong(ProtocolError):
    """A frame announced more bytes than the reader accepts."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"a message of {length} bytes is over the limit of {limit}")
        self.length = length
        self.limit = limit


def read_frame(fd: int, max_bytes: int) -> dict[str, Any] | None:
    """The next message from a blocking descriptor (the child's side), or None at the end
    of the stream.

    :raise ProtocolError: as ``FrameReader.feed``, or the stream ends inside a frame.
    """
    reader = FrameReader(max_bytes)
    started = False
    while True:
        chunk = os.read(fd, reader.wanted())
        if not chunk:
            if started:
                raise ProtocolError("the stream ended inside a frame")
            return None
        started = True
        messages = reader.feed(chunk)
        if messages:
            return messages[0]


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Write one message to a blocking descriptor, whole."""
    write_all(fd, encode(message))


def write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to a blocking descriptor, whole."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
