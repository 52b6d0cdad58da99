"""One home for the state names: the rulebook's vocabulary (rulebook/states.py) spells them;
every other module and template asks it (ReviewState, the Draft properties) instead of writing
"awaiting_review" again. This test reads the repository's .py and .html files and lists every
state name written as a quoted string literal outside rulebook/states.py (the other rulebook
modules too), migrations (frozen history), the tests, the docs and the benchmark results.

A literal that only looks like a state (another vocabulary that happens to share a word, such
as a mail's "failed" status) carries the marker comment `not-a-state` on its line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from rulebook.states import ReviewState

ROOT = Path(__file__).resolve().parent.parent
STATES = frozenset(s.value for s in ReviewState)
MARKER = "not-a-state"
# Directories never read: environments and tool output, frozen history, the tests themselves,
# the docs and the benchmark results.
SKIP_DIRS = {".venv", ".git", ".data", ".ruff_cache", "node_modules", "__pycache__",
             "migrations", "tests", "docs", "test-artifacts", "redline.egg-info"}
SKIP_PATHS = {Path("rulebook/states.py"), Path("bench/results")}
# In templates: "awaiting_review" or 'awaiting_review', whole (not part of a longer word).
HTML_LITERAL = re.compile(r"""(["'])(""" + "|".join(sorted(STATES)) + r""")\1""")


def _files():
    stack = [ROOT]
    while stack:
        folder = stack.pop()
        for path in sorted(folder.iterdir()):
            relative = path.relative_to(ROOT)
            if relative in SKIP_PATHS:
                continue
            if path.is_dir():
                if path.name not in SKIP_DIRS:
                    stack.append(path)
            elif path.suffix in (".py", ".html"):
                yield path, relative


def _python_hits(source: str):
    """(line, literal) for each string token whose value is a state name. Tokens, not a
    regex: a docstring that mentions awaiting_review in a sentence is not a literal."""
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):  # an f-string
            continue
        if value in STATES and MARKER not in lines[token.start[0] - 1]:
            yield token.start[0], token.string


def _html_hits(source: str):
    for number, line in enumerate(source.splitlines(), start=1):
        if MARKER in line:
            continue
        for match in HTML_LITERAL.finditer(line):
            yield number, match.group(0)


def state_literals() -> list[str]:
    hits = []
    for path, relative in _files():
        source = path.read_text(encoding="utf-8")
        found = _python_hits(source) if path.suffix == ".py" else _html_hits(source)
        hits += [(str(relative), line, literal) for line, literal in found]
    return [f"{path}:{line}: {literal}" for path, line, literal in sorted(hits)]


def test_the_scan_sees_what_it_should():
    """The scanner itself: literals in code and templates are found, sentences and markers
    are not (so an empty result below means something)."""
    code = ('x = "awaiting_review"\n'
            "y = ('approved', 1)\n"
            '"""A docstring saying awaiting_review."""\n'
            'z = "failed"  # not-a-state: a mail status\n'
            'w = "approved_by"\n')
    assert list(_python_hits(code)) == [(1, '"awaiting_review"'), (2, "'approved'")]
    html = ('{% if draft.status == "revising" %}\n'
            "{% if x == 'expired' %}\n"
            "<p>Awaiting review: expired drafts</p>\n"
            '<input value="withdrawn_at">\n')
    assert list(_html_hits(html)) == [(1, '"revising"'), (2, "'expired'")]


def test_state_names_live_only_in_the_rulebook():
    hits = state_literals()
    assert not hits, (
        "State names written as string literals outside rulebook/states.py; use "
        "ReviewState (Python) or the Draft properties (templates: draft.awaiting_review, "
        "draft.is_final, …):\n" + "\n".join(hits))
