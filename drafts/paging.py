"""Pages and counts that cost about the same at ten rows and at ten thousand.

Django's Paginator counts every matching row (COUNT(*) over the whole filter) before it
fetches a page. Here a page fetches one row more than it shows, to know whether there is a
next one, and counts at most `cap` + 1 rows in the same query: a long queue reads "1000+"
instead of paying for its exact length on every request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import IntegerField, QuerySet, Subquery


class AtLeast(int):
    """A count that stopped at its cap: compares and pluralizes as the cap, shows as "99+"."""

    def __str__(self) -> str:
        return f"{int(self)}+"

    def __repr__(self) -> str:
        return f"AtLeast({int(self)})"


def capped(n: int, cap: int) -> int:
    """`n` as counted by CappedCount: n itself, or AtLeast(cap) when it went past the cap."""
    return AtLeast(cap) if n > cap else n


class CappedCount(Subquery):
    """SQL `(SELECT COUNT(*) FROM (<queryset> LIMIT cap + 1))`: an uncorrelated scalar
    subquery (PostgreSQL computes it once per query), which stops reading after cap + 1 rows.
    Pass the result through `capped()`."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"

    def __init__(self, queryset: QuerySet, cap: int):
        super().__init__(queryset.order_by().values("pk")[:cap + 1],
                         output_field=IntegerField())


@dataclass(frozen=True)
class Page:
    """What the templates ask of Django's Page, without the total count behind it."""

    object_list: list
    number: int
    size: int
    count: int  # exact, or AtLeast(cap)
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def num_pages(self) -> int | None:
        """None when the count stopped at its cap."""
        if isinstance(self.count, AtLeast):
            return None
        return max(1, math.ceil(self.count / self.size))


def _number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def page_of(queryset: QuerySet, number, *, size: int, cap: int) -> Page:
    """Page `number` (a string from the URL is fine; junk means 1) of an ordered queryset:
    one query for the rows and the capped count. A number past the end (a stale link) shows
    the last page, as Paginator.get_page does; only that rare case counts exactly."""
    number = _number(number)
    annotated = queryset.annotate(_capped_count=CappedCount(queryset, cap))
    offset = (number - 1) * size
    rows = list(annotated[offset:offset + size + 1])
    if not rows and number > 1:
        number = max(1, math.ceil(queryset.count() / size))
        offset = (number - 1) * size
        rows = list(annotated[offset:offset + size + 1])
    count = capped(rows[0]._capped_count, cap) if rows else 0
    return Page(object_list=rows[:size], number=number, size=size, count=count,
                has_next=len(rows) > size)
