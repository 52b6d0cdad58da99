"""Escalation of an overdue policy step (issue 24 item 3), on the real stack: a durable timer
in the review workflow (shortened here: a policy created in code skips the admin's one-minute
minimum) that mails the escalation group, lets it decide at the step too, or ends the review
as expired; shown on the draft page, in the history and on the admins' overdue list; the
admin refuses an escalation that could never happen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from drafts import roles, selectors, services
from drafts.models import Draft
from review import services as review
from review.models import Channel, Policy, PolicyStep
from rulebook import policies
from temporal_app import errors
from tests.conftest import make_user, save_history, wait_for, wait_for_status
from tests.test_web_common import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def channel(action: str, after: float = 3.0) -> list:
    """A channel whose one step (Editors) escalates to Managing editors after `after` s."""
    managing = Group.objects.create(name="Managing editors")
    policy = Policy.objects.create(name=f"Escalating ({action})")
    PolicyStep.objects.create(
        policy=policy, order=1, name="Editor", group=Group.objects.get_or_create(
            name="Editors")[0], required=1, escalation=action,
        escalate_after_hours=after / 3600, escalate_to=None if action == "expire" else managing)
    Channel.objects.create(slug="urgent", name="Urgent", policy=policy)
    return [make_user(f"chief{n}", "Managing editors") for n in (1, 2)]


def submit(author) -> Draft:
    draft, _ = services.submit_draft(author=author, topic="Overnight story", channel="urgent")
    return wait_for_status(draft, "awaiting_review")


def kinds(draft) -> list[str]:
    return list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True))


def escalated(draft, timeout: float = 20) -> Draft:
    wait_for(lambda: "escalated" in kinds(draft), timeout=timeout, what="the escalation")
    return Draft.objects.get(pk=draft.pk)


def test_an_overdue_step_lets_the_escalation_group_decide(live_worker, author, editor,
                                                         admin_user):
    chiefs = channel(policies.Escalation.ADD_DECIDERS.value)
    draft = submit(author)
    assert draft.escalate_at is not None
    assert "Escalates" in draft.escalation_line and "Managing editors decide too" in \
        draft.escalation_line
    page = client_for(author).get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert "let Managing editors decide too" in page
    with pytest.raises(errors.DecisionRefused, match="Members of Editors decide"):
        review.decide(draft_id=draft.pk, editor=chiefs[0], decision="approve", version=1)
    chiefs_queue = dict(groups=roles.reviewer_groups(chiefs[0]),
                        escalation=roles.escalation_groups(chiefs[0]))
    assert chiefs_queue["escalation"] == {"Managing editors"}
    assert draft not in selectors.review_queue(**chiefs_queue)

    draft = escalated(draft)
    event = draft.events.get(kind="escalated")
    assert event.comment == ("No decision after 3 s at review: let Managing editors decide "
                             "too.")
    assert draft.status == "awaiting_review" and draft.escalated_to == "Managing editors"
    assert draft.escalate_at is None
    assert list(selectors.review_queue(**chiefs_queue)) == [draft]
    queue = client_for(chiefs[1]).get(reverse("review:queue")).content.decode()
    assert "Overnight story" in queue
    assert draft in selectors.overdue()
    overdue = client_for(admin_user).get(reverse("review:overdue")).content.decode()
    assert "Overnight story" in overdue and "Managing editors may decide too" in overdue
    wait_for(lambda: {m.to[0] for m in mail.outbox if m.subject.startswith("Escalated to you")}
             == {"chief1@example.com", "chief2@example.com"}, what="the chiefs' mail")
    done = review.decide(draft_id=draft.pk, editor=chiefs[0], decision="approve", version=1)
    assert done.state == "approved"
    save_history(draft.pk, "escalation_add_deciders")
    assert kinds(draft)[-2:] == ["escalated", "approved"]


def test_an_overdue_step_notifies_and_waits_for_its_own_group(live_worker, author, editor):
    chiefs = channel(policies.Escalation.NOTIFY.value)
    draft = escalated(submit(author))
    assert draft.escalated_to == "" and draft.status == "awaiting_review"
    wait_for(lambda: any(m.subject.startswith("Escalated to you") for m in mail.outbox),
             what="the mail")
    with pytest.raises(errors.DecisionRefused, match="Members of Editors decide"):
        review.decide(draft_id=draft.pk, editor=chiefs[0], decision="approve", version=1)
    assert review.decide(draft_id=draft.pk, editor=editor, decision="approve",
                         version=1).state == "approved"


def test_an_overdue_step_can_end_the_review_as_expired(live_worker, author, settings):
    channel(policies.Escalation.EXPIRE.value)
    draft = wait_for_status(submit(author), "expired", timeout=20)
    assert kinds(draft)[-2:] == ["escalated", "expired"]
    assert "end the review as expired" in draft.events.get(kind="escalated").comment
    assert not any(m.subject.startswith("Escalated to you") for m in mail.outbox)


def test_a_new_version_starts_the_escalation_time_again(live_worker, author, editor):
    channel(policies.Escalation.NOTIFY.value, after=6.0)
    draft = submit(author)
    first = draft.escalate_at
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Shorter, please.")
    wait_for(lambda: Draft.objects.get(pk=draft.pk).current_version == 2
             and Draft.objects.get(pk=draft.pk).awaiting_review, what="version 2")
    assert Draft.objects.get(pk=draft.pk).escalate_at > first
    assert "escalated" not in kinds(draft)


@pytest.mark.parametrize("step, problem", [
    (dict(escalation="notify", escalate_after_seconds=3600), "name the escalation group"),
    (dict(escalation="expire", escalate_after_seconds=3600, escalate_to="Legal"),
     "leave the escalation group empty"),
    (dict(escalation="notify", escalate_after_seconds=10, escalate_to="Legal"),
     "between a minute and 30 days"),
    (dict(escalation="add_deciders", escalate_after_seconds=7200, escalate_to="Legal",
          review_seconds=3600), "would never happen"),
    (dict(escalation="notify", escalate_after_seconds=3600, escalate_to="Editors"),
     "the step's own group"),
    (dict(escalate_after_seconds=3600), "choose what happens"),
])
def test_the_admin_refuses_an_escalation_that_cannot_work(step, problem):
    policy = policies.ReviewPolicy("P", [policies.ReviewStep("Editor", "Editors", **step)])
    assert any(problem in p for p in policies.policy_problems(policy)), \
        policies.policy_problems(policy)
