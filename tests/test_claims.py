"""Claims ("I'm reviewing this"): taken, renewed, refused to others, confirmed over, released
by a decision; on the real stack where a decision is involved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from drafts import services
from review import services as review
from review.models import Claim
from temporal_app import errors
from tests.conftest import make_user, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_claims_and_a_decision_that_releases_them(live_worker, author, editor, editor2):
    draft, _ = services.submit_draft(author=author, topic="Tides")
    with pytest.raises(errors.Refused, match="Only a draft awaiting review can be claimed"):
        review.claim(user=editor, draft_id=draft.pk)
    draft = wait_for_status(draft, "awaiting_review")
    held = review.claim(user=editor, draft_id=draft.pk)
    assert held.user == editor and held.until > timezone.now() + timedelta(minutes=29)
    assert review.claim(user=editor, draft_id=draft.pk).pk == held.pk  # renewed
    with pytest.raises(errors.Refused, match=r"editor1 is reviewing this draft until \d\d:\d\d"):
        review.claim(user=editor2, draft_id=draft.pk)
    with pytest.raises(errors.Refused, match="You wrote this draft's topic"):
        review.claim(user=author, draft_id=draft.pk)
    outsider = make_user("outsider")
    with pytest.raises(errors.Refused, match="Members of Editors decide; you are not one of them"):
        review.claim(user=outsider, draft_id=draft.pk)

    # editor2 must confirm to decide over the claim; nothing is sent before that
    with pytest.raises(errors.DecisionRefused, match="Confirm that you want to decide anyway"):
        review.decide(editor=editor2, draft_id=draft.pk, decision="approve", version=1)
    assert wait_for_status(draft, "awaiting_review")
    result = review.decide(editor=editor2, draft_id=draft.pk, decision="approve", version=1,
                           confirm_claim=True)
    assert result.state == "approved"
    assert not Claim.objects.filter(draft=draft).exists()  # the review closed: released


def test_a_claim_that_ran_out_can_be_taken_and_the_holder_can_release(live_worker, author,
                                                                      editor, editor2):
    draft, _ = services.submit_draft(author=author, topic="Tides")
    draft = wait_for_status(draft, "awaiting_review")
    review.claim(user=editor, draft_id=draft.pk)
    Claim.objects.filter(draft=draft).update(until=timezone.now() - timedelta(seconds=1))
    assert review.active_claim(draft) is None
    assert review.claim(user=editor2, draft_id=draft.pk).user == editor2
    assert not review.release(user=editor, draft_id=draft.pk)  # not editor1's any more
    assert review.release(user=editor2, draft_id=draft.pk)
    assert review.active_claim(draft) is None
