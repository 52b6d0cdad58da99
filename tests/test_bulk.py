"""Bulk decisions: several drafts, each its own Update, each with its own answer."""

from __future__ import annotations

import pytest

from drafts import services
from drafts.models import Draft
from review import services as review
from rulebook import bulk
from temporal_app import errors
from tests.conftest import wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def awaiting(author, n: int) -> list[Draft]:
    drafts = [services.submit_draft(author=author, topic=f"Topic {i}")[0] for i in range(n)]
    return [wait_for_status(d, "awaiting_review") for d in drafts]


def test_bulk_approve_answers_each_draft(live_worker, author, editor, editor2):
    a, b, c = awaiting(author, 3)
    review.decide(editor=editor2, draft_id=b.pk, decision="reject", version=1,
                  comment="Not for us")  # someone else got there first
    outcomes = review.bulk_decide(editor=editor, decision="approve",
                                  items=[(a.pk, 1), (b.pk, 1), (c.pk, 2), (999999, 1)])
    assert [o.draft_id for o in outcomes] == [a.pk, b.pk, c.pk, 999999]
    assert outcomes[0].decided and outcomes[0].sentence == "Approved by editor1."
    assert not outcomes[1].decided and outcomes[1].recorded
    assert "already rejected by editor2" in outcomes[1].sentence
    assert not outcomes[2].decided and "There is no version 2" in outcomes[2].sentence
    assert outcomes[3].sentence == "There is no draft #999999."
    states = dict(Draft.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "status"))
    assert states == {a.pk: "approved", b.pk: "rejected", c.pk: "awaiting_review"}


def test_bulk_reject_needs_one_reason_and_a_bounded_batch(db, editor):
    with pytest.raises(errors.DecisionRefused, match="A rejection needs a reason"):
        review.bulk_decide(editor=editor, decision="reject", items=[(1, 1)])
    with pytest.raises(errors.DecisionRefused, match="at most 25 drafts"):
        review.bulk_decide(editor=editor, decision="approve",
                           items=[(i, 1) for i in range(bulk.BULK_MAX + 1)])
    with pytest.raises(errors.DecisionRefused, match="only be approved or rejected"):
        review.bulk_decide(editor=editor, decision="request_changes", items=[(1, 1)],
                           comment="x")
