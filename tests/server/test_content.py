"""Markdown rendering and the sanitiser: examples, and properties that must hold for any input.

The properties parse the output with `html.parser` (as a browser tokenises it) rather than only
searching strings, so that tricks such as entity-encoded or mixed-case schemes are caught.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.content import (
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    find_hashtags,
    find_mentions,
    plain_text,
    render_markdown,
    sanitize_html,
)

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser would tokenise them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def problems(html: str) -> list[str]:
    """What makes this HTML unsafe; empty when it is safe."""
    found = []
    if "<script" in html.lower():
        found.append("the text <script")
    parser = Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        if tag == "script" or tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"event handler {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                # Browsers ignore ASCII whitespace and control characters inside a scheme.
                squeezed = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    found.append(f"{name}={value!r} on <{tag}>")
    return found


# --- strategies ----------------------------------------------------------------------------

SCHEMES = [
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "java\nscript:",
    " javascript:",
    "\x01javascript:",
    "&#106;avascript:",
    "&#x6A;avascript:",
    "javascript&colon;",
    "vbscript:",
    "VBScript:",
    "data:",
    "data:text/html;base64,PHNjcmlwdD4=",
    "https:",
    "mailto:",
    "",
]
TAGS = ["script", "SCRIPT", "img", "a", "svg", "iframe", "style", "object", "embed", "form",
        "input", "body", "math", "details", "video", "p", "span", "code"]  # fmt: skip
ATTRIBUTES = ["href", "src", "onerror", "onload", "OnClick", "onmouseover", "style", "action",
              "formaction", "xlink:href", "srcset", "class", "title", "data"]  # fmt: skip
PAYLOADS = ["alert(1)", "alert`1`", "//evil.example/x.js", "x", ""]

url = st.builds(lambda s, p: s + p, st.sampled_from(SCHEMES), st.sampled_from(PAYLOADS))
quote = st.sampled_from(['"', "'", ""])
tag = st.builds(
    lambda name, attr, q, value, close: f"<{name} {attr}={q}{value}{q}{close}",
    st.sampled_from(TAGS),
    st.sampled_from(ATTRIBUTES),
    quote,
    st.one_of(url, st.sampled_from(PAYLOADS)),
    st.sampled_from([">", "/>", " >", "", ">x</a>"]),
)
markdown_trick = st.builds(
    lambda kind, target: kind.format(target),
    st.sampled_from(["[x]({})", "![x]({})", "<{}>", "[x]: {}\n\n[x]", "[x](<{}>)", "`{}`"]),
    url,
)
fragment = st.one_of(
    st.text(max_size=20),
    tag,
    markdown_trick,
    st.sampled_from(
        [
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "</",
            "&",
            "&#",
            "\n\n",
            "    ",
            "```\n",
            "@ada",
            "#tag",
            "<scr<script>ipt>",
            "<script>alert(1)</script>",
            '"',
            "'",
        ]
    ),
)
hostile = st.lists(fragment, max_size=12).map("".join)
any_text = st.one_of(st.text(), hostile)

# No example database: the run leaves no files behind and each run is independent.
PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(any_text)
def test_render_markdown__output_is_safe_for_any_input(source: str) -> None:
    # Mention links come from stored profiles; even a hostile one must not get through.
    html = render_markdown(source, {"ada": "javascript:alert(1)"}).html
    assert problems(html) == [], html


@PROPERTY
@given(any_text)
def test_sanitize_html__output_is_safe_for_any_input(raw: str) -> None:
    html = sanitize_html(raw)
    assert problems(html) == [], html


@PROPERTY
@given(any_text)
def test_sanitize_html__is_stable_when_applied_twice(raw: str) -> None:
    once = sanitize_html(raw)
    assert problems(sanitize_html(once)) == []


# --- the checker itself, so the properties are not vacuous ----------------------------------


def test_problems__detects_each_kind_of_danger() -> None:
    assert problems("<script>x</script>")
    assert problems('<img src="x" onerror="alert(1)">')
    assert problems('<a href="&#106;avascript:alert(1)">x</a>')
    assert problems('<a href="java\tscript:alert(1)">x</a>')
    assert problems('<a href="data:text/html,x">x</a>')
    assert problems("<iframe></iframe>")
    assert problems('<a href="https://example.org" class="mention">x</a>') == []


# --- examples --------------------------------------------------------------------------------


def test_render_markdown__markdown_becomes_html_and_raw_html_is_escaped() -> None:
    rendered = render_markdown("**bold** <b onclick=x>raw</b>\n\n- item")
    assert "<strong>bold</strong>" in rendered.html
    assert "<li>item</li>" in rendered.html
    assert "&lt;b onclick=x&gt;raw&lt;/b&gt;" in rendered.html


def test_render_markdown__links_known_mentions_and_every_hashtag() -> None:
    rendered = render_markdown("Hi @ada and @bob, see #Rust", {"ada": "/u/ada"})
    assert '<a href="/u/ada" class="mention"' in rendered.html
    assert "@bob" in rendered.html and "/u/bob" not in rendered.html
    assert '<a href="/tags/rust" class="hashtag"' in rendered.html
    assert rendered.mentions == ("ada", "bob") and rendered.hashtags == ("rust",)


def test_render_markdown__javascript_links_are_not_links() -> None:
    html = render_markdown("[click](javascript:alert(1)) ![i](javascript:x)").html
    assert problems(html) == []
    assert "href" not in html and "<img" not in html


def test_find_mentions_and_hashtags__ignore_code_emails_and_numbers() -> None:
    source = "mail ada@example.org, `@code #code`, @Ann@Social.Example #42 #ok"
    assert find_mentions(source) == ("ann@social.example",)
    assert find_hashtags(source) == ("ok",)


def test_plain_text__strips_tags_and_shortens() -> None:
    assert plain_text("<p>A &amp; <b>B</b></p>") == "A & B"
    assert plain_text("<p>" + "word " * 100 + "</p>", limit=20).endswith("…")


# --- classes -------------------------------------------------------------------------------


def classes_of(html: str) -> list[tuple[str, set[str]]]:
    """Each tag's classes, as a browser reads them."""
    parser = Tags()
    parser.feed(html)
    parser.close()
    return [
        (tag, set((value or "").split()))
        for tag, attrs in parser.tags
        for name, value in attrs
        if name == "class"
    ]


def test_sanitize_html__a_link_dressed_as_a_button_loses_its_classes() -> None:
    # When remote HTML dresses a link as one of Lyceum's buttons or notices
    html = sanitize_html(
        '<p class="flash"><a href="https://evil.example/" class="button primary">Log in</a></p>'
    )
    # Then no class survives, and the link is an ordinary link
    assert all(found == set() for _, found in classes_of(html)), html
    assert "button" not in html and "flash" not in html


def test_sanitize_html__mastodon_microformats_keep_their_classes() -> None:
    # Given a Mastodon mention, hashtag and shortened link
    raw = (
        '<p><span class="h-card"><a href="https://m.example/@ada" class="u-url mention">'
        '@<span>ada</span></a></span> <a href="https://m.example/tags/x" class="mention hashtag"'
        ' rel="tag">#<span>x</span></a> <a href="https://example.org/a/long/path">'
        '<span class="invisible">https://</span><span class="ellipsis">example.org/a/lo</span>'
        '<span class="invisible">ng/path</span></a></p>'
    )
    # When it is sanitised
    found = classes_of(sanitize_html(raw))
    # Then every one of those classes is still there
    assert found == [
        ("span", {"h-card"}),
        ("a", {"u-url", "mention"}),
        ("a", {"mention", "hashtag"}),
        ("span", {"invisible"}),
        ("span", {"ellipsis"}),
        ("span", {"invisible"}),
    ]


def test_sanitize_html__a_mixed_class_keeps_only_the_allowed_part() -> None:
    html = sanitize_html('<a href="https://x.example" class="mention button u-url">x</a>')
    assert classes_of(html) == [("a", {"mention", "u-url"})]


CLASS_NAMES = [
    *sorted({name for names in ALLOWED_CLASSES.values() for name in names}),
    "button", "primary", "danger", "flash", "notice", "badge", "skip-link", "visually-hidden",
    "language-python", "MENTION", "h-card\u00a0", "", "mention-x",
]  # fmt: skip
classed = st.builds(
    lambda tag, names, q: f"<{tag} class={q}{' '.join(names)}{q} href=https://x.example>t</{tag}>",
    st.sampled_from(["a", "span", "code", "p", "strong", "div", "h2"]),
    st.lists(st.sampled_from(CLASS_NAMES), max_size=4),
    st.sampled_from(['"', "'"]),
)


@PROPERTY
@given(st.lists(st.one_of(classed, fragment), max_size=8).map("".join))
def test_sanitize_html__no_class_outside_the_list_survives(raw: str) -> None:
    for tag, found in classes_of(sanitize_html(raw)):
        assert found <= ALLOWED_CLASSES.get(tag, set()), (tag, found, raw)
