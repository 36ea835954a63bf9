"""JSON written piece by piece: a document whose large arrays are iterators is encoded one
batch of elements at a time, so that a report of millions of findings never exists as one
string (with its dicts and its bytes) next to the findings it came from.

The pieces are UTF-8 bytes, as the encoder writes them and a file takes them (a report of
millions of findings is never decoded to text and encoded back). They join to exactly what
the encoder writes for the whole document with the iterators as lists: compact separators,
keys in insertion order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

Encode = Callable[[Any], bytes]  # one compact JSON value
EncodeBatch = Callable[[list[Any]], bytes]  # elements of an array, joined by commas

_BATCH = 2000  # elements per piece: few writes, little memory


@dataclass(frozen=True, slots=True)
class Elements:
    """An array whose elements a format encodes itself, a batch at a time (`encode` writes
    the batch's elements joined by commas, without brackets)."""

    items: Iterator[Any]
    encode: EncodeBatch


def pieces(value: Any, encode: Encode) -> Iterator[bytes]:
    """`value` as compact JSON in pieces; an iterator anywhere in it is a JSON array."""
    if isinstance(value, Elements):
        yield from _array(value.items, value.encode)
    elif isinstance(value, Iterator):
        yield from _array(value, lambda batch: encode(batch)[1:-1])
    elif isinstance(value, dict) and _lazy(value):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield (b"," if i else b"") + encode(key) + b":"
            yield from pieces(item, encode)
        yield b"}"
    elif isinstance(value, list) and _lazy(value):
        yield b"["
        for i, item in enumerate(value):
            if i:
                yield b","
            yield from pieces(item, encode)
        yield b"]"
    else:
        yield encode(value)


def _array(items: Iterator[Any], encode: EncodeBatch) -> Iterator[bytes]:
    yield b"["
    first = True
    while batch := list(islice(items, _BATCH)):
        joined = encode(batch)  # one call per batch
        yield joined if first else b"," + joined
        first = False
    yield b"]"


def _lazy(value: Any) -> bool:
    """Whether an iterator is somewhere inside `value` (dicts and lists only)."""
    if isinstance(value, Iterator | Elements):
        return True
    if isinstance(value, dict):
        return any(_lazy(v) for v in value.values())
    if isinstance(value, list):
        return any(_lazy(v) for v in value)
    return False
