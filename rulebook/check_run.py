"""The deterministic checks on a version's text (issue 23): pure functions, milliseconds.
`run` gives every finding of a channel's checks in the text's order; the links' helpers
serve the activity's optional reachability check.

Readability's score comes from outside (the activity passes textstat's Flesch reading ease):
this module stays stdlib only, like the rest of the rulebook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rulebook.checks import (
    MAX_FINDINGS,
    PERSONAL_DATA,
    Check,
    Finding,
    Kind,
    Severity,
    finding_at,
)

# ------------------------------------------------------------------ running checks


def run(checks: Iterable[Check], text: str, *, target_words: int = 0,
        readability: Callable[[str], float] | None = None) -> list[Finding]:
    """Every finding of the deterministic `checks` on `text`, in the text's order (the whole
    draft's first), at most MAX_FINDINGS. `readability`: text → Flesch reading ease."""
    found: list[Finding] = []
    for check in checks:
        found += _RUNNERS[check.kind](check, text, target_words=target_words,
                                      readability=readability)
    found.sort(key=lambda f: (bool(f.quote), f.start, f.end, f.check))
    if len(found) > MAX_FINDINGS:
        rest = len(found) - MAX_FINDINGS + 1
        found = found[:MAX_FINDINGS - 1] + [Finding(
            "checks", "checks", Severity.WARN.value,
            f"{rest} more findings are not listed; fix these first")]
    return found


def _at(check: Check, text: str, start: int, end: int, message: str,
        suggestion: str = "") -> Finding:
    return finding_at(check.name, check.kind.value, check.severity.value, text, start, end,
                     message, suggestion)


def _whole(check: Check, message: str) -> Finding:
    return Finding(check.name, check.kind.value, check.severity.value, message)


def _banned(check: Check, text: str, **_) -> list[Finding]:
    o = check.options
    flags = 0 if o.get("case_sensitive") else re.IGNORECASE
    words = o.get("whole_words", True)
    expressions = [(rf"(?<!\w){re.escape(p)}(?!\w)" if words else re.escape(p), p)
                   for p in o.get("phrases", [])]
    expressions += [(p, p) for p in o.get("patterns", [])]
    found = []
    for expression, _source in expressions:
        for m in re.finditer(expression, text, flags):
            if m.end() > m.start():
                message = o.get("message") or f"Banned: \u201c{m.group()}\u201d."
                found.append(_at(check, text, m.start(), m.end(), message, o.get("suggest", "")))
    return found


def _required(check: Check, text: str, **_) -> list[Finding]:
    o = check.options
    found = []
    if o.get("title"):
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not re.match(r"#\s+\S", first):
            found.append(_whole(check, "No title: the draft must start with a \u201c# \u201d "
                                       "heading."))
    if o.get("closing"):
        paragraphs = [(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*",
                                                                 text)]
        last = paragraphs[-1] if paragraphs else None
        if last is None or not re.search(o["closing"], text[last[0]:last[1]], re.IGNORECASE):
            message = o.get("closing_message") or \
                "No closing call to action in the last paragraph."
            found.append(_at(check, text, *last, message) if last else _whole(check, message))
    return found


def words_of(text: str) -> int:
    """Words of a Markdown text, its markup left out (headings' #, list bullets, links'
    addresses)."""
    plain = re.sub(r"\]\([^)]*\)", "]", text)
    return len([w for w in re.split(r"\s+", plain) if re.search(r"\w", w)])


def _length(check: Check, text: str, *, target_words: int = 0, **_) -> list[Finding]:
    o = check.options
    low, high = o.get("min_words"), o.get("max_words")
    if o.get("tolerance") is not None and target_words:
        low = low if low is not None else round(target_words * (1 - o["tolerance"]))
        high = high if high is not None else round(target_words * (1 + o["tolerance"]))
    words = words_of(text)
    if low is not None and words < low:
        return [_whole(check, f"{words:,} words: at least {low:,} are asked for.")]
    if high is not None and words > high:
        return [_whole(check, f"{words:,} words: at most {high:,} are asked for.")]
    return []


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_NANP = re.compile(r"\d{3}[ .-]\d{3}[ .-]\d{4}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(\d)?\d[\d ().-]{6,18}\d(?!\w)")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_valid(value: str) -> bool:
    compact = value.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _personal(check: Check, text: str, **_) -> list[Finding]:
    types = check.options.get("types") or PERSONAL_DATA
    spans: list[tuple[int, int, str]] = []
    if "emails" in types:
        spans += [(m.start(), m.end(), "An e-mail address") for m in _EMAIL.finditer(text)]
    if "ibans" in types:
        spans += [(m.start(), m.end(), "A bank account number (IBAN)")
                  for m in _IBAN.finditer(text) if iban_valid(m.group())]
    if "cards" in types:
        spans += [(m.start(), m.end(), "A payment card number") for m in _CARD.finditer(text)
                  if luhn(re.sub(r"\D", "", m.group()))]
    if "phones" in types:
        for m in _PHONE.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            # International (+44 …), trunk-prefixed (020 …) or North American (555-123-4567)
            # shapes: not any run of digit groups (an account number, a product code).
            plausible = 9 <= len(digits) <= 15 and (
                m.group().startswith(("+", "(", "0")) or _NANP.fullmatch(m.group()))
            if plausible and not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), "A phone number"))
    return [_at(check, text, s, e, f"{what} must not appear in a draft.",
                "Remove it, or replace it with the contact the channel publishes.")
            for s, e, what in spans]


def _readability(check: Check, text: str, *, readability=None, **_) -> list[Finding]:
    if readability is None:
        return []
    o = check.options
    plain = re.sub(r"(?m)^\s*(#+|[-*+]|\d+\.)\s+", "", text)
    score = round(readability(plain), 1)
    if o.get("min_flesch") is not None and score < o["min_flesch"]:
        return [_whole(check, f"Flesch reading ease {score:g}: at least {o['min_flesch']:g} "
                              "is asked for (shorter sentences and words read easier).")]
    if o.get("max_flesch") is not None and score > o["max_flesch"]:
        return [_whole(check, f"Flesch reading ease {score:g}: at most {o['max_flesch']:g} "
                              "is asked for.")]
    return []


def _brand(check: Check, text: str, **_) -> list[Finding]:
    found = []
    for term in check.options["terms"]:
        for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            if m.group() != term:
                found.append(_at(check, text, m.start(), m.end(),
                                 f"\u201c{m.group()}\u201d is spelled \u201c{term}\u201d.",
                                 term))
    return found


HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
_MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE = re.compile(r"(?<![(<\w/])(?:https?://|www\.)[^\s<>()\[\]]+")


def links(text: str) -> list[tuple[int, int, str]]:
    """Every link of a Markdown text: (start, end, address), Markdown links and bare URLs."""
    found = [(m.start(1), m.end(1), m.group(1)) for m in _MD_LINK.finditer(text)]
    taken = [(s, e) for s, e, _ in found]
    for m in _BARE.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?'\"":
            end -= 1
        if not any(s < end and m.start() < e for s, e in taken):
            found.append((m.start(), end, text[m.start():end]))
    return sorted(found)


def link_host(url: str) -> str:
    """The host of a well-formed http(s) link, or "" (not one)."""
    address = "http://" + url if url.lower().startswith("www.") else url
    try:
        parts = urlsplit(address)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    named = HOST.fullmatch(host) or host == "localhost" or _IPV4.fullmatch(host)
    if parts.scheme.lower() not in ("http", "https") or not named:
        return ""
    return host


def allowed(host: str, allow: list[str]) -> bool:
    for domain in allow:
        domain = domain.lower().removeprefix("*.")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _links(check: Check, text: str, **_) -> list[Finding]:
    allow = check.options.get("allow", [])
    found = []
    for start, end, url in links(text):
        host = link_host(url)
        if not host:
            found.append(_at(check, text, start, end, f"\u201c{url}\u201d is not a "
                                                      "well-formed web address."))
        elif allow and not allowed(host, allow):
            found.append(_at(check, text, start, end,
                             f"{host} is not on this channel's list of allowed sites "
                             f"({', '.join(allow)})."))
    return found


def unreachable(check: Check, text: str, start: int, end: int, url: str, why: str
                ) -> Finding:
    """A link that did not answer 2xx to a HEAD request (the activity asks)."""
    return _at(check, text, start, end, f"{url} did not answer: {why}.")


_RUNNERS: dict[Kind, Callable[..., list[Finding]]] = {
    Kind.BANNED: _banned, Kind.REQUIRED: _required, Kind.LENGTH: _length,
    Kind.PERSONAL_DATA: _personal, Kind.READABILITY: _readability,
    Kind.BRAND_TERMS: _brand, Kind.LINKS: _links,
}


