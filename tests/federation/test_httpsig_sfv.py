"""RFC 8941 structured fields, as far as signatures use them: dictionaries, items, inner lists.

The cases follow the RFC's parsing rules (section 4.2) one by one: what each kind of item looks
like, where whitespace may go, and the limits (15-digit integers, 3 decimal places).
"""

from __future__ import annotations

import pytest

from federation.httpsig._sfv import (
    InnerList,
    Item,
    ParseError,
    Token,
    parse_dictionary,
    serialize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1, b=2", {"a": Item(1), "b": Item(2)}),
        ("a=1,b=2", {"a": Item(1), "b": Item(2)}),
        ("a=1 \t, \tb=2", {"a": Item(1), "b": Item(2)}),
        ("  a=1", {"a": Item(1)}),
        ("a=1  ", {"a": Item(1)}),
        ("a=1, a=2", {"a": Item(2)}),
        ("a", {"a": Item(True)}),
        ("a;x=1", {"a": Item(True, {"x": 1})}),
        ("a=?0, b=?1", {"a": Item(False), "b": Item(True)}),
        ("a=-42", {"a": Item(-42)}),
        ("a=999999999999999", {"a": Item(999999999999999)}),
        ("a=-999999999999999", {"a": Item(-999999999999999)}),
        ("a=1.5", {"a": Item(1.5)}),
        ("a=-0.25", {"a": Item(-0.25)}),
        ("a=123456789012.123", {"a": Item(123456789012.123)}),
        ('a="hi"', {"a": Item("hi")}),
        ('a=""', {"a": Item("")}),
        ('a=" ~"', {"a": Item(" ~")}),
        ('a=(Xy "z")', {"a": InnerList([Item(Token("Xy")), Item("z")])}),
        ('a="say \\"hi\\" \\\\ bye"', {"a": Item('say "hi" \\ bye')}),
        ("a=:aGVsbG8=:", {"a": Item(b"hello")}),
        ("a=::", {"a": Item(b"")}),
        ("a=foo/bar:baz", {"a": Item(Token("foo/bar:baz"))}),
        ("a=*x", {"a": Item(Token("*x"))}),
        ("a=Tok", {"a": Item(Token("Tok"))}),
        ("a=1;b;c=?0;d=x", {"a": Item(1, {"b": True, "c": False, "d": Token("x")})}),
        ("a=1; b=2", {"a": Item(1, {"b": 2})}),
        ("a=()", {"a": InnerList([])}),
        ("a=(  1   2  )", {"a": InnerList([Item(1), Item(2)])}),
        (
            'a=("x";p=1 "y");q',
            {"a": InnerList([Item("x", {"p": 1}), Item("y")], {"q": True})},
        ),
        ("k*-._9=1", {"k*-._9": Item(1)}),
        ("*a=1", {"*a": Item(1)}),
        ("", {}),
    ],
)
def test_parse_dictionary__reads_the_rfc_forms(text: str, expected: dict[str, object]) -> None:
    assert parse_dictionary(text) == expected


def test_parse_dictionary__keeps_tokens_and_strings_apart() -> None:
    # A token and a string with the same letters are different things: `(@method)` is no list
    # of component names, `("@method")` is
    parsed = parse_dictionary('a=x, b="x"')
    assert isinstance(parsed["a"], Item) and isinstance(parsed["a"].value, Token)
    assert isinstance(parsed["b"], Item) and not isinstance(parsed["b"].value, Token)


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=1, ",
        "a=1 b=2",
        "a=1;",
        "a=",
        ",a=1",
        "A=1",
        "1a=1",
        "a=1;B=2",
        "a=1;Xb=2",
        "Xa=1",
        "a=1X, b=2",
        "a=1, Xb=2",
        "a=1; Xb",
        "a=:aG=VsbG8=:",
        "a=:aGVsbG8==:",
        "a=?",
        "a=?2",
        '"a"=1',
        'a="unterminated',
        'a="bad \\q escape"',
        'a="tab\there"',
        'a="é"',
        "a=:aGVsbG8=",
        "a=:a:",
        "a=:aGVs bG8=:",
        "a=1234567890123456",
        "a=1.2345",
        "a=1234567890123.1",
        "a=1.",
        "a=.5",
        "a=-",
        "a=--1",
        "a=1.2.3",
        "a=(1 2",
        "a=(1,2)",
        "a=(1 2)x",
        "a=@",
        "a=é",
        "a=\u0663",
    ],
)
def test_parse_dictionary__refuses_what_the_rfc_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        parse_dictionary(text)


@pytest.mark.parametrize(
    ("member", "text"),
    [
        (InnerList([Item("@method"), Item("content-digest")]), '("@method" "content-digest")'),
        (InnerList([], {"created": 1, "keyid": "k"}), '();created=1;keyid="k"'),
        (Item('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"'),
        (Item(b"hello"), ":aGVsbG8=:"),
        (Item(Token("rsa")), "rsa"),
        (Item(True, {"a": True, "b": False}), "?1;a;b=?0"),
        (Item(False), "?0"),
        (Item(-42), "-42"),
        (Item(1.5), "1.5"),
        (Item(2.0), "2.0"),
        (Item(3.0), "3.0"),
        (Item(3.5), "3.5"),
        (Item(0.125), "0.125"),
    ],
)
def test_serialize__writes_the_rfc_forms(member: Item | InnerList, text: str) -> None:
    # Given a parsed member, When serialised, Then it is the RFC's canonical text
    assert serialize(member) == text
    # And parsing that text gives the member back
    assert parse_dictionary(f"m={text}")["m"] == member
