"""Just enough of RFC 8941 (Structured Field Values) for HTTP message signatures.

`Signature-Input`, `Signature` and `Content-Digest` are dictionaries; their members are items
(byte sequences) or inner lists of strings, each with parameters. Parsing follows the RFC's
algorithm (section 4.2) closely enough that the serialisation of a parsed inner list is
byte-for-byte the `@signature-params` line a signer produced.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field

__all__ = ["InnerList", "Item", "ParseError", "Token", "parse_dictionary", "serialize"]


class Token(str):
    """An sf-token (unquoted), as opposed to an sf-string."""


BareItem = bool | int | float | str | bytes  # str covers Token
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: list[Item]
    params: Params = field(default_factory=dict)


class ParseError(Exception):
    """The header is not a valid structured field."""


_KEY_START = string.ascii_lowercase + "*"
_KEY_CHARS = string.ascii_lowercase + string.digits + "_-.*"
_TOKEN_START = string.ascii_letters + "*"
_TOKEN_CHARS = string.ascii_letters + string.digits + ":/!#$%&'*+-.^_`|~"
_BASE64_CHARS = string.ascii_letters + string.digits + "+/="
_NUMBER = re.compile(r"-?(?:[0-9]{1,15}|[0-9]{1,12}\.[0-9]{1,3})")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def done(self) -> bool:
        return self.pos >= len(self.text)


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    reader = _Reader(text)
    reader.skip(" \t")
    members: dict[str, Item | InnerList] = {}
    while not reader.done():
        key = _parse_key(reader)
        if reader.peek() == "=":
            reader.take()
            members[key] = _parse_item_or_inner_list(reader)
        else:
            members[key] = Item(True, _parse_params(reader))
        reader.skip(" \t")
        if reader.done():
            break
        if reader.take() != ",":
            raise ParseError(f"expected ',' at {reader.pos - 1}")
        reader.skip(" \t")
        if reader.done():
            raise ParseError("trailing comma")
    return members


def _parse_item_or_inner_list(reader: _Reader) -> Item | InnerList:
    if reader.peek() == "(":
        reader.take()
        items: list[Item] = []
        while True:
            reader.skip(" ")
            if reader.peek() == ")":
                reader.take()
                return InnerList(items, _parse_params(reader))
            items.append(Item(_parse_bare_item(reader), _parse_params(reader)))
            if reader.peek() not in (" ", ")"):
                raise ParseError(f"bad inner list at {reader.pos}")
    return Item(_parse_bare_item(reader), _parse_params(reader))


def _parse_params(reader: _Reader) -> Params:
    params: Params = {}
    while reader.peek() == ";":
        reader.take()
        reader.skip(" ")
        key = _parse_key(reader)
        value: BareItem = True
        if reader.peek() == "=":
            reader.take()
            value = _parse_bare_item(reader)
        params[key] = value
    return params


def _parse_key(reader: _Reader) -> str:
    if not reader.peek() or reader.peek() not in _KEY_START:
        raise ParseError(f"expected a key at {reader.pos}")
    start = reader.pos
    reader.skip(_KEY_CHARS)
    return reader.text[start : reader.pos]


def _parse_bare_item(reader: _Reader) -> BareItem:
    char = reader.peek()
    if char == '"':
        return _parse_string(reader)
    if char == ":":
        return _parse_bytes(reader)
    if char == "?":
        reader.take()
        flag = reader.take()
        if flag not in ("0", "1"):
            raise ParseError("bad boolean")
        return flag == "1"
    if char == "-" or (char and char in string.digits):
        return _parse_number(reader)
    if char and char in _TOKEN_START:
        start = reader.pos
        reader.skip(_TOKEN_CHARS)
        return Token(reader.text[start : reader.pos])
    raise ParseError(f"unexpected {char!r} at {reader.pos}")


def _parse_string(reader: _Reader) -> str:
    reader.take()
    out: list[str] = []
    while True:
        char = reader.take()
        if char == "":
            raise ParseError("unterminated string")
        if char == '"':
            return "".join(out)
        if char == "\\":
            escaped = reader.take()
            if escaped not in ('"', "\\"):
                raise ParseError("bad escape in string")
            out.append(escaped)
        elif not (" " <= char <= "~"):
            raise ParseError("non-printable character in string")
        else:
            out.append(char)


def _parse_bytes(reader: _Reader) -> bytes:
    reader.take()
    start = reader.pos
    reader.skip(_BASE64_CHARS)
    encoded = reader.text[start : reader.pos]
    if reader.take() != ":":
        raise ParseError("unterminated byte sequence")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ParseError("bad base64 in byte sequence") from None


def _parse_number(reader: _Reader) -> int | float:
    start = reader.pos
    if reader.peek() == "-":
        reader.take()
    reader.skip(string.digits + ".")
    text = reader.text[start : reader.pos]
    # At most 15 digits, or 12 before and 3 after the point: a timestamp of 400 digits is no
    # number a signature may carry (and would overflow the float arithmetic of a check).
    if not _NUMBER.fullmatch(text):
        raise ParseError(f"bad number {text[:20]!r}")
    return float(text) if "." in text else int(text)


def serialize(member: Item | InnerList) -> str:
    """Serialise an item or inner list with its parameters (RFC 8941 section 4.1)."""
    if isinstance(member, InnerList):
        inner = " ".join(serialize(item) for item in member.items)
        return f"({inner}){_serialize_params(member.params)}"
    return _serialize_bare(member.value) + _serialize_params(member.params)


def _serialize_params(params: Params) -> str:
    out = []
    for key, value in params.items():
        out.append(f";{key}" if value is True else f";{key}={_serialize_bare(value)}")
    return "".join(out)


def _serialize_bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, float):
        # At most three decimals (what the parser takes), at least one.
        return f"{value:.3f}".rstrip("0") if value % 1 else f"{value:.1f}"
    return str(value)
