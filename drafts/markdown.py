"""LLM output is untrusted: Markdown is rendered with raw HTML disabled, then sanitised."""

from __future__ import annotations

import re

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

# Blocks a selection is made in: each carries data-src="start-end", its source range (offsets
# into the Markdown), so a passage selected on the page is anchored in the right place
# (rulebook.passages.anchor_selection; static/js/comments.js reads it).
_BLOCKS = {"paragraph_open", "heading_open", "list_item_open", "blockquote_open"}


def _source_ranges(state) -> None:
    starts = state.env.get("line_starts")
    if starts is None:
        return
    for token in state.tokens:
        if token.type in _BLOCKS and token.map:
            first, last = token.map
            end = starts[last] if last < len(starts) else starts[-1]
            token.attrSet("data-src", f"{starts[first]}-{end}")


_md.core.ruler.push("source_ranges", _source_ranges)
_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "strong", "em", "code",
         "pre", "blockquote", "a", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"}


_ATTRIBUTES = {"a": {"href", "title"},
               **{tag: {"data-src"} for tag in ("p", "li", "blockquote", "h2", "h3", "h4",
                                                 "h5", "h6")}}


def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts, and its length last (a block's end)."""
    return [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n"), len(text)]


def render_markdown(text: str, *, ranges: bool = False, source: str | None = None
                    ) -> SafeString:
    """`ranges`: give each block its data-src (the pages where passages are commented);
    `source`: the text those ranges refer to, when `text` carries passage markers (which add
    no line breaks, so its lines are the same)."""
    lines = source if source is not None else text or ""
    env = {"line_starts": _line_starts(lines)} if ranges else {}
    html = _md.render(text or "", env)
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


# Passages to highlight travel through the renderer as private-use characters (a mark's start,
# its number, its end), replaced by <mark> once the HTML is sanitised.
_OPEN, _NUM_END, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKERS = re.compile(f"{_OPEN}(\\d+){_NUM_END}|{_CLOSE}")
# Block syntax at a line's start that a marker must not split (a heading's "#", a list's "-").
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]?)*")


def render_with_passages(text: str, marks: list[tuple[int, int, int]]) -> SafeString:
    """`render_markdown`, with each passage (start, end, id: offsets into `text`) wrapped in
    <mark class="passage" id="passage-<id>">. Passages that overlap an earlier one are left
    unmarked (their comments still list them); a text that holds the marker characters
    itself is rendered without marks."""
    text = text or ""
    if not marks or any(ch in text for ch in (_OPEN, _NUM_END, _CLOSE)):
        return render_markdown(text, ranges=True)
    inserts: list[tuple[int, str]] = []
    last_end = -1
    for start, end, ident in sorted(marks):
        if start < last_end or not 0 <= start < end <= len(text):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        if start == line_start:  # keep "# " or "- " at the line's start intact
            start += _BLOCK_START.match(text, line_start).end() - line_start
            if start >= end:
                continue
        inserts += [(start, f"{_OPEN}{int(ident)}{_NUM_END}"), (end, _CLOSE)]
        last_end = end
    source = text
    for at, marker in sorted(inserts, key=lambda item: item[0], reverse=True):
        text = text[:at] + marker + text[at:]
    html = str(render_markdown(text, ranges=True, source=source))

    def tag(match: re.Match) -> str:
        if match.group(1) is not None:
            return f'<mark class="passage" id="passage-{match.group(1)}">'
        return "</mark>"

    # nh3 balanced the HTML already; a mark that spanned blocks may close early (its start
    # stays highlighted). A stray close (its open dropped with the markup) is removed.
    out = _MARKERS.sub(tag, html)
    return mark_safe(nh3.clean(out, tags=_TAGS | {"mark"},  # noqa: S308 - sanitised here
                               attributes={**_ATTRIBUTES, "mark": {"class", "id"}},
                               url_schemes={"http", "https", "mailto"},
                               link_rel="noopener nofollow"))
