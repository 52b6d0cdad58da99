"""A channel's checks as a TOML file (issue 23; docs/checks.md): read (`parse`, every problem
with its line: unknown kinds and keys, wrong types, patterns that do not compile or could
run away), stored and read back (`load`, validated again), and written (`to_toml`, for
`manage.py channel SLUG --show`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable

from rulebook.check_run import HOST
from rulebook.checks import (
    LINK_TIMEOUT_MAX,
    MAX_CHECKS,
    MAX_PATTERN,
    MAX_TERMS,
    PERSONAL_DATA,
    Check,
    Kind,
    Severity,
)

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
        if not HOST.fullmatch(domain.lower().removeprefix("*.")):
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


