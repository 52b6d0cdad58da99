from django import template
from django.utils import timezone

from drafts.markdown import render_markdown, render_with_passages

register = template.Library()


@register.filter
def markdown(text: str):
    """Untrusted Markdown → sanitised HTML (raw HTML disabled, then nh3)."""
    return render_markdown(text)


@register.filter
def get_item(mapping, key):
    """{{ counts|get_item:status }}: a dict lookup with a variable key (missing → None)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


# Cheaper equivalents of |date:"c" and |date:"Y-m-d H:i" (several times faster: no format
# parser), for pages that print a date on every one of many rows (the review queue).


@register.filter
def iso(value) -> str:
    """{{ dt|iso }}: the same text as {{ dt|date:"c" }} (for <time datetime>)."""
    return timezone.localtime(value).isoformat() if value else ""


@register.filter
def minute(value) -> str:
    """{{ dt|minute }}: the same text as {{ dt|date:"Y-m-d H:i" }}."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@register.filter
def marked(text: str, marks):
    """{{ version.text|marked:marks }}: `markdown`, with the commented passages
    ((start, end, id) offsets into the text) highlighted as <mark id="passage-<id>">."""
    return render_with_passages(text, list(marks or ()))
