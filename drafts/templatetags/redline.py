from django import template

from drafts.markdown import render_markdown

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
