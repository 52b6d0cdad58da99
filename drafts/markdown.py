"""LLM output is untrusted: Markdown is rendered with raw HTML disabled, then sanitised."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _demote_headings(state) -> None:
    """A draft sits inside a page that has its own <h1>: its '# Title' renders as <h2>."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


_md.core.ruler.push("demote_headings", _demote_headings)
_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "strong", "em", "code",
         "pre", "blockquote", "a", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(text: str) -> SafeString:
    html = _md.render(text or "")
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
