"""Checks before a human reads (issue 23): a channel's checks, the TOML file they come from
(refused line by line), the deterministic checks themselves (pure functions of a version's
text, milliseconds), what a finding's severity does to a draft, and the sentences.

A check has a `kind`, a `severity` (`block`: the version goes back to the LLM on its own, up
to CHECK_MAX_AUTO_REVISIONS rounds; `warn`: the editor sees it) and the kind's own keys. A
finding points at its passage with the one anchor of rulebook.passages (quote, prefix,
suffix, offsets); a finding about the whole draft (a missing title, the length) has none.

Readability's score comes from outside (the activity passes textstat's Flesch reading ease):
this module stays stdlib only, like the rest of the rulebook.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from rulebook import passages, revisions


class Kind(StrEnum):
    BANNED = "banned"
    REQUIRED = "required"
    LENGTH = "length"
    PERSONAL_DATA = "personal_data"
    READABILITY = "readability"
    BRAND_TERMS = "brand_terms"
    LINKS = "links"


JUDGE = "judge"  # the kind of an LLM judge's findings (a channel's rubric, not a TOML check)


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class FindingState(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # a warning an editor dismissed, with a reason


PERSONAL_DATA = ("emails", "phones", "cards", "ibans")
MAX_AUTO_REVISIONS = 2  # the site's default CHECK_MAX_AUTO_REVISIONS
MAX_CHECKS = 50  # checks in one file
MAX_TERMS = 500  # phrases, patterns, terms or domains in one check
MAX_PATTERN = 300  # characters of one regular expression
MAX_FINDINGS = 100  # per version: more are counted in one last finding, not listed
MAX_REASON = 1_000  # characters of a reason (dismissing a warning, approving over a blocker)
LINK_TIMEOUT_MAX = 10.0  # seconds a reachability check may wait for one URL

COMMON_KEYS = {"kind", "severity", "name"}
KEYS: dict[Kind, dict[str, type | tuple[type, ...]]] = {
    Kind.BANNED: {"phrases": list, "patterns": list, "case_sensitive": bool,
                  "whole_words": bool, "suggest": str, "message": str},
    Kind.REQUIRED: {"title": bool, "closing": str, "closing_message": str},
    Kind.LENGTH: {"min_words": int, "max_words": int, "tolerance": (int, float)},
    Kind.PERSONAL_DATA: {"types": list},
    Kind.READABILITY: {"min_flesch": (int, float), "max_flesch": (int, float)},
    Kind.BRAND_TERMS: {"terms": list},
    Kind.LINKS: {"allow": list, "check_reachable": bool, "timeout": (int, float)},
}


class ChecksError(ValueError):
    """A checks file that cannot be used: every problem, each with its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Check:
    kind: Kind
    severity: Severity
    name: str
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """As stored (Channel.checks) and sent to the activity: the file's own keys."""
        return {"kind": self.kind.value, "severity": self.severity.value, "name": self.name,
                **self.options}


@dataclass(frozen=True)
class Finding:
    check: str  # the check's name
    kind: str
    severity: str
    message: str
    quote: str = ""  # the passage (rulebook.passages' anchor); "": the whole draft
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0
    suggestion: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == Severity.BLOCK


# ------------------------------------------------------------------ the site's defaults

DEFAULT_CHECKS: tuple[Check, ...] = (
    Check(Kind.PERSONAL_DATA, Severity.BLOCK, "personal data"),
    Check(Kind.REQUIRED, Severity.WARN, "title", {"title": True}),
    Check(Kind.LENGTH, Severity.WARN, "length", {"tolerance": 0.5}),
)


# ------------------------------------------------------------------ reading a file


def parse(source: str) -> list[Check]:
    """The checks of a TOML file (`[[checks]]` tables). Raises ChecksError with every
    problem, each as "line N: what is wrong"."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        raise ChecksError([_toml_problem(str(err), max(1, len(source.splitlines())))]) \
            from None
    lines = _table_lines(source)
    problems = [f"line {_key_line(source, 0, key)}: unknown key {key!r} (the file holds "
                "[[checks]] tables only)" for key in data if key != "checks"]
    tables = data.get("checks", [])
    if not isinstance(tables, list):
        raise ChecksError(["line 1: `checks` must be [[checks]] tables"])
    checks = _checks(tables, problems, lambda i, key=None: _line(source, lines, i, key))
    if problems:
        raise ChecksError(problems)
    return checks


def load(stored: Iterable[dict]) -> list[Check]:
    """Checks as stored (Check.as_dict each), validated again. Raises ChecksError."""
    problems: list[str] = []
    checks = _checks(list(stored), problems, lambda i, key=None: i + 1, where="check")
    if problems:
        raise ChecksError(problems)
    return checks


def to_toml(checks: Iterable[Check]) -> str:
    """Checks as a TOML file parse() reads back (`manage.py channel SLUG --show`)."""
    blocks = []
    for check in checks:
        lines = ["[[checks]]"] + [f"{key} = {_toml_value(value)}"
                                  for key, value in check.as_dict().items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    if "'" not in text and "\n" not in text:
        return f"'{text}'"  # a literal string: regular expressions stay as written
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _checks(tables: list, problems: list[str], line: Callable, where: str = "line"
            ) -> list[Check]:
    if len(tables) > MAX_CHECKS:
        problems.append(f"{where} {line(MAX_CHECKS)}: at most {MAX_CHECKS} checks in a file")
        return []
    checks, names = [], set()
    for i, table in enumerate(tables):
        def say(message: str, key: str | None = None, i=i) -> None:
            problems.append(f"{where} {line(i, key)}: {message}")

        if not isinstance(table, dict):
            say("each check is a [[checks]] table")
            continue
        check = _check(table, say)
        if check is None:
            continue
        if check.name in names:
            say(f"two checks are named {check.name!r}; give one a `name`", "name")
            continue
        names.add(check.name)
        checks.append(check)
    return checks


def _check(table: dict, say: Callable) -> Check | None:
    kinds = ", ".join(k.value for k in Kind)
    try:
        kind = Kind(table.get("kind"))
    except ValueError:
        say(f"unknown check kind {table.get('kind')!r}: use one of {kinds}", "kind")
        return None
    try:
        severity = Severity(table.get("severity", Severity.WARN.value))
    except ValueError:
        say(f"severity must be \"block\" or \"warn\", not {table.get('severity')!r}",
            "severity")
        return None
    name = table.get("name", kind.value)
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        say("`name` must be a short text (at most 100 characters)", "name")
        return None
    ok = True
    options = {}
    for key, value in table.items():
        if key in COMMON_KEYS:
            continue
        wanted = KEYS[kind].get(key)
        if wanted is None:
            say(f"{kind.value} checks have no key {key!r} (they take: "
                f"{', '.join(sorted(KEYS[kind]))})", key)
            ok = False
        elif isinstance(value, bool) and wanted is not bool:
            say(f"{key!r} must be a {_type_word(wanted)}, not true/false", key)
            ok = False
        elif not isinstance(value, wanted):
            say(f"{key!r} must be a {_type_word(wanted)}", key)
            ok = False
        else:
            options[key] = value
    if not ok:
        return None
    problem = _OPTION_PROBLEMS[kind](options)
    if problem:
        key, message = problem
        say(message, key)
        return None
    return Check(kind, severity, name.strip(), options)


def _type_word(wanted) -> str:
    names = {list: "list", bool: "true or false", str: "text", int: "whole number",
             float: "number"}
    if isinstance(wanted, tuple):
        return "number"
    return names[wanted]


def _texts(options: dict, key: str, *, at_most: int = MAX_TERMS) -> tuple[str, str] | None:
    values = options.get(key, [])
    if len(values) > at_most:
        return key, f"at most {at_most} entries in {key!r}"
    if not all(isinstance(v, str) and v.strip() for v in values):
        return key, f"every entry of {key!r} must be a non-empty text"
    return None


def _banned_problem(options: dict) -> tuple[str, str] | None:
    if not options.get("phrases") and not options.get("patterns"):
        return "kind", "a banned check needs `phrases` or `patterns`"
    for key in ("phrases", "patterns"):
        if problem := _texts(options, key):
            return problem
    for pattern in options.get("patterns", []):
        if problem := pattern_problem(pattern):
            return "patterns", problem
    return None


def _required_problem(options: dict) -> tuple[str, str] | None:
    if not options.get("title") and not options.get("closing"):
        return "kind", "a required check needs `title = true` or a `closing` pattern"
    if "closing" in options and (problem := pattern_problem(options["closing"])):
        return "closing", problem
    return None


def _length_problem(options: dict) -> tuple[str, str] | None:
    low, high = options.get("min_words"), options.get("max_words")
    tolerance = options.get("tolerance")
    if low is None and high is None and tolerance is None:
        return "kind", ("a length check needs `min_words`, `max_words` or a `tolerance` "
                        "around the brief's length (e.g. 0.25)")
    for key, value in (("min_words", low), ("max_words", high)):
        if value is not None and not 1 <= value <= 100_000:
            return key, f"{key!r} must be between 1 and 100,000"
    if low is not None and high is not None and low > high:
        return "min_words", "`min_words` is more than `max_words`"
    if tolerance is not None and not 0 < tolerance < 1:
        return "tolerance", "`tolerance` must be between 0 and 1 (0.25: 25% either way)"
    return None


def _personal_problem(options: dict) -> tuple[str, str] | None:
    unknown = [t for t in options.get("types", []) if t not in PERSONAL_DATA]
    if unknown:
        return "types", (f"unknown personal data {unknown[0]!r}: use "
                         f"{', '.join(PERSONAL_DATA)}")
    return None


def _readability_problem(options: dict) -> tuple[str, str] | None:
    low, high = options.get("min_flesch"), options.get("max_flesch")
    if low is None and high is None:
        return "kind", "a readability check needs `min_flesch` or `max_flesch`"
    for key, value in (("min_flesch", low), ("max_flesch", high)):
        if value is not None and not 0 <= value <= 100:
            return key, (f"{key!r} is a Flesch reading ease, from 0 (hardest) to 100 "
                         f"(easiest); {value} is out of range")
    if low is not None and high is not None and low > high:
        return "min_flesch", "`min_flesch` is more than `max_flesch`"
    return None


def _brand_problem(options: dict) -> tuple[str, str] | None:
    if not options.get("terms"):
        return "kind", "a brand_terms check needs `terms`, each spelled as it must be"
    return _texts(options, "terms")


def _links_problem(options: dict) -> tuple[str, str] | None:
    if problem := _texts(options, "allow"):
        return problem
    for domain in options.get("allow", []):
        if not _HOST.fullmatch(domain.lower().removeprefix("*.")):
            return "allow", f"{domain!r} is not a domain name (e.g. \"example.com\")"
    timeout = options.get("timeout")
    if timeout is not None and not 0 < timeout <= LINK_TIMEOUT_MAX:
        return "timeout", f"`timeout` must be more than 0 and at most {LINK_TIMEOUT_MAX:g} s"
    return None


_OPTION_PROBLEMS = {
    Kind.BANNED: _banned_problem, Kind.REQUIRED: _required_problem,
    Kind.LENGTH: _length_problem, Kind.PERSONAL_DATA: _personal_problem,
    Kind.READABILITY: _readability_problem, Kind.BRAND_TERMS: _brand_problem,
    Kind.LINKS: _links_problem,
}

# A quantified group holding a quantifier ("(a+)+", "(\w*)*", "(x{2,})+"): the shape of
# catastrophic backtracking. Refused, with backreferences and lookbehinds of any length.
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,?\d*\})(?:[^()\\]|\\.)*\)"
                     r"(?:[+*]|\{\d+,?\d*\})")


def pattern_problem(pattern: str) -> str:
    """Why a regular expression cannot be a check's, or ""."""
    if len(pattern) > MAX_PATTERN:
        return f"a pattern can be at most {MAX_PATTERN} characters"
    if _NESTED.search(pattern):
        return (f"the pattern {pattern!r} nests quantifiers (like \"(a+)+\"), which can take "
                "forever on some texts; write it without a repeated group of repeats")
    if re.search(r"\\[1-9]|\(\?P=", pattern):
        return f"the pattern {pattern!r} uses a backreference, which checks do not allow"
    try:
        re.compile(pattern)
    except re.error as err:
        return f"the pattern {pattern!r} does not compile: {err}"
    return ""


def _toml_problem(message: str, last_line: int) -> str:
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    what = re.sub(r"\s*\((?:at line \d+, column \d+|at end of document)\)", "", message)
    if found:
        return f"line {found.group(1)}: not valid TOML: {what} (column {found.group(2)})"
    return f"line {last_line}: not valid TOML: {what} (at the end of the file)"


def _table_lines(source: str) -> list[int]:
    return [n for n, text in enumerate(source.splitlines(), start=1)
            if re.match(r"\s*\[\[\s*checks\s*\]\]", text)]


def _line(source: str, tables: list[int], index: int, key: str | None) -> int:
    """The line of table `index`'s `key` (or of its header)."""
    if index >= len(tables):
        return tables[-1] if tables else 1
    start = tables[index]
    end = tables[index + 1] if index + 1 < len(tables) else None
    if key:
        return _key_line(source, start, key, end) or start
    return start


def _key_line(source: str, start: int, key: str, end: int | None = None) -> int:
    for n, text in enumerate(source.splitlines(), start=1):
        if n < start or (end is not None and n >= end):
            continue
        if re.match(rf"\s*{re.escape(key)}\s*=", text) or \
                re.match(rf"\s*\[+\s*{re.escape(key)}\s*\]", text):
            return n
    return 0


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
    return _anchored(check.name, check.kind.value, check.severity.value, text, start, end,
                     message, suggestion)


def _anchored(name: str, kind: str, severity: str, text: str, start: int, end: int,
              message: str, suggestion: str = "") -> Finding:
    anchor = passages.anchor_at(text, start, end)
    return Finding(name, kind, severity, message, anchor.quote, anchor.prefix, anchor.suffix,
                   anchor.start, anchor.end, suggestion)


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


_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
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
    named = _HOST.fullmatch(host) or host == "localhost" or _IPV4.fullmatch(host)
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


# ------------------------------------------------------------------ the LLM judge

MAX_RUBRIC = 4_000  # characters of a channel's rubric
MAX_JUDGE_FINDINGS = 20
# The structured answer asked of the judge (the OpenAI SDK's JSON-schema response format).
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"findings": {"type": "array", "maxItems": MAX_JUDGE_FINDINGS, "items": {
        "type": "object",
        "properties": {"criterion": {"type": "string"}, "quote": {"type": "string"},
                       "reason": {"type": "string"}},
        "required": ["criterion", "quote", "reason"], "additionalProperties": False}}},
    "required": ["findings"], "additionalProperties": False,
}


class JudgeAnswerError(ValueError):
    """The judge's answer does not fit JUDGE_SCHEMA (asked again, then "unavailable")."""


def rubric_problem(rubric: str) -> str:
    if len(rubric) > MAX_RUBRIC:
        return f"A rubric can be at most {MAX_RUBRIC:,} characters."
    return ""


def judge_findings(answer: str, text: str, severity: str = Severity.WARN.value
                   ) -> list[Finding]:
    """The judge's JSON answer as findings on `text`: each anchored where its quote is (a
    quote not in the text, or empty, becomes a finding about the whole draft that says what
    it quoted: never dropped). Raises JudgeAnswerError when the answer does not fit."""
    import json

    try:
        data = json.loads(answer)
    except ValueError as err:
        raise JudgeAnswerError(f"the judge's answer is not JSON ({err})") from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list) or set(data) != {"findings"}:
        raise JudgeAnswerError("the judge's answer has no `findings` list")
    found = []
    for item in items[:MAX_JUDGE_FINDINGS]:
        if not isinstance(item, dict) or set(item) != {"criterion", "quote", "reason"} or \
                not all(isinstance(item[k], str) for k in item):
            raise JudgeAnswerError("a finding of the judge lacks its criterion, quote or reason")
        criterion, quote = item["criterion"].strip()[:200], item["quote"].strip()
        message = f"{criterion}: {item['reason'].strip()[:1000]}"
        at = text.find(quote) if quote else -1  # the first place it stands, if it does
        if at < 0:
            if quote:
                message += f" (it quoted \u201c{quote[:200]}\u201d, which is not in the text)"
            found.append(Finding(JUDGE, JUDGE, severity, message))
        else:
            found.append(_anchored(JUDGE, JUDGE, severity, text, at, at + len(quote), message))
    return found


def judge_unavailable(why: str) -> Finding:
    """The judge did not answer (or not in shape): shown, never taken for a pass."""
    return Finding(JUDGE, JUDGE, Severity.WARN.value, f"Judge unavailable: {why}")


# ------------------------------------------------------------------ what findings do


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]


def auto_revision(findings: Iterable[Finding], rounds_done: int, max_rounds: int) -> bool:
    """Does the version go back to the LLM on its own? Only for blocking findings, and at
    most `max_rounds` times a draft; after that the human decides."""
    return bool(blocking(findings)) and rounds_done < max_rounds


def instructions(findings: Iterable[Finding]) -> str:
    """What the LLM is told to fix, for the findings of one passage or the whole draft."""
    lines = []
    for f in findings:
        fix = f" Suggested: {f.suggestion}" if f.suggestion else ""
        lines.append(f"- {f.message}{fix}")
    return ("An automatic check of this channel found these problems. Fix them and change "
            "nothing else:\n" + "\n".join(lines))


def plan(text: str, findings: Iterable[Finding]
         ) -> tuple[list[tuple[int, int, list[Finding]]], str]:
    """What an automatic round rewrites for the blocking findings: their passages, each
    widened to its sentences and merged where they overlap (a targeted revision: (start,
    end, its findings)), when every one has a passage and they are few enough; else ([],
    what the whole draft must fix)."""
    blocked = blocking(findings)
    if not blocked:
        return [], ""
    if any(not f.quote for f in blocked) or len(blocked) > revisions.MAX_PASSAGES:
        return [], instructions(blocked)
    planned = revisions.plan(text, [(i, f.start, f.end) for i, f in enumerate(blocked)])
    if len(planned) > revisions.MAX_PASSAGES:
        return [], instructions(blocked)
    return [(p.start, p.end, [blocked[i] for i in p.comment_ids]) for p in planned], ""


def unavailable(why: str) -> Finding:
    """The checks could not run: shown as a warning, never taken for a pass."""
    return Finding("checks", "checks", Severity.WARN.value,
                   f"The checks could not run on this version: {why}")


def summary(findings: Iterable[Finding]) -> str:
    """ "2 blocking, 1 warning" (open findings), or ""."""
    findings = list(findings)
    blocks = len(blocking(findings))
    return counted(blocks, len(findings) - blocks)


def counted(blocks: int, warns: int) -> str:
    """ "2 blocking, 1 warning", or "" for none."""
    parts = [f"{blocks} blocking"] if blocks else []
    if warns:
        parts.append(f"{warns} warning{'s' if warns != 1 else ''}")
    return ", ".join(parts)


AUTO_REVISED_LABEL = "revised for checks"


def auto_round_comment(findings: Iterable[Finding], round_: int, max_rounds: int) -> str:
    """The history's line for an automatic round."""
    names = sorted({f.check for f in blocking(findings)})
    return (f"Automatic round {round_} of {max_rounds}: sent back to the LLM for "
            f"{', '.join(names)}.")


def recheck_refusal(awaiting: bool, state_label: str) -> str:
    """Why the checks may not be run again now, or "": only on a version awaiting review."""
    if not awaiting:
        return (f"Checks run again only on a draft awaiting review; this one is "
                f"{state_label.lower()}.")
    return ""


def rechecked_message(number: int, findings: Iterable[Finding]) -> str:
    return f"Checks run again on version {number}: {summary(findings) or 'nothing found'}."


def approve_reason_refusal(open_blockers: int, reason: str) -> str:
    """Why an approval of a version with open blocking findings is refused, or ""."""
    if open_blockers and not reason.strip():
        return (f"This version has {open_blockers} open blocking finding"
                f"{'s' if open_blockers != 1 else ''}; say why you approve it anyway.")
    if len(reason) > MAX_REASON:
        return f"A reason can be at most {MAX_REASON:,} characters."
    return ""


def dismiss_refusal(finding: Finding, state: str, reason: str) -> str:
    """Why a finding may not be dismissed, or ""."""
    if finding.blocking:
        return "A blocking finding cannot be dismissed: fix it, or approve with a reason."
    if state == FindingState.DISMISSED:
        return "This warning was dismissed already."
    if not reason.strip():
        return "Say why you dismiss this warning."
    if len(reason) > MAX_REASON:
        return f"A reason can be at most {MAX_REASON:,} characters."
    return ""
