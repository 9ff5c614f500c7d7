"""The one place Markdown becomes HTML: Python-Markdown, then nh3 with an allow-list."""

from __future__ import annotations

import functools
import threading

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "abbr": {"title"},
    "ol": {"start"},
}
# No javascript:, data: or vbscript: URLs, whatever their spelling.
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "smarty"]


_local = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's Markdown converter: building one costs more than most conversions, and
    one instance must not be shared between threads."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=EXTENSIONS,
                                                         output_format="html")
    return converter


def render_markdown(text: str | None) -> str:
    """Safe HTML for untrusted Markdown: no scripts, event handlers, iframes or unsafe URLs."""
    if not text:
        return ""
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@functools.lru_cache(maxsize=20_000)
def render_inline(text: str | None) -> str:
    """Markdown for one line (a timeline entry, a factor): the same sanitising, no <p> wrapper.
    A pure function of the text, so each process keeps its latest 20,000 answers: a read view
    shows dozens of lines, and reading the same post-mortem again converts none of them."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
