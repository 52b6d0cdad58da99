"""Line diffs between versions of a draft, shaped for an accessible, escaped rendering.

difflib compares the two texts line by line; the template prints each line as text (Django
escapes it) inside <ins>/<del>, with a visually hidden "Added"/"Removed" for screen readers.
Runs of unchanged lines far from any change are folded into one "skipped" row.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed" | "skipped"
    text: str = ""
    old_no: int | None = None
    new_no: int | None = None
    skipped: int = 0  # for "skipped": how many unchanged lines are folded


@dataclass
class VersionDiff:
    old_number: int
    new_number: int
    lines: list[DiffLine] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed)


def diff_lines(old: str, new: str, *, old_number: int = 0, new_number: int = 0,
               context: int = 3) -> VersionDiff:
    """The changes from `old` to `new`, with `context` unchanged lines around each change."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    result = VersionDiff(old_number=old_number, new_number=new_number)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in _groups(matcher, a, b, context):
        result.lines.extend(group)
    result.added = sum(1 for line in result.lines if line.kind == "added")
    result.removed = sum(1 for line in result.lines if line.kind == "removed")
    return result


def _groups(matcher: difflib.SequenceMatcher, a: Sequence[str], b: Sequence[str],
            context: int) -> Iterable[list[DiffLine]]:
    """Yield the diff's rows in order, folding long unchanged runs."""
    opcodes = matcher.get_opcodes()
    last = len(opcodes) - 1
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows = [DiffLine("same", a[i1 + k], i1 + k + 1, j1 + k + 1) for k in range(i2 - i1)]
            keep_head = context if index > 0 else 0  # after a change
            keep_tail = context if index < last else 0  # before a change
            if len(rows) > keep_head + keep_tail + 1:
                folded = len(rows) - keep_head - keep_tail
                rows = (rows[:keep_head] + [DiffLine("skipped", skipped=folded)]
                        + (rows[len(rows) - keep_tail:] if keep_tail else []))
            yield rows
            continue
        if tag in ("replace", "delete"):
            yield [DiffLine("removed", a[i], old_no=i + 1) for i in range(i1, i2)]
        if tag in ("replace", "insert"):
            yield [DiffLine("added", b[j], new_no=j + 1) for j in range(j1, j2)]


def version_diffs(versions: Sequence) -> dict[int, VersionDiff]:
    """For versions ordered by number: {number: diff to the previous version}. The first
    version has no entry."""
    diffs: dict[int, VersionDiff] = {}
    previous = None
    for version in versions:
        if previous is not None:
            diffs[version.number] = diff_lines(previous.text, version.text,
                                               old_number=previous.number,
                                               new_number=version.number)
        previous = version
    return diffs


def versions_with_diffs(versions: Sequence) -> list[tuple[object, VersionDiff | None]]:
    """[(version, diff to the previous one or None)], newest first."""
    ordered = sorted(versions, key=lambda v: v.number)
    diffs = version_diffs(ordered)
    return [(v, diffs.get(v.number)) for v in reversed(ordered)]
