"""Publishing approved drafts to destinations: signed webhooks, retried durably, against a
local receiver, a real Temporal dev server and real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from drafts import services
from drafts.models import Draft
from publishing import services as publishing
from publishing.models import Delivery, Destination
from review import services as review
from review.models import Channel
from temporal_app import errors, gateway
from temporal_app.types import PublishResult, publish_workflow_id
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result
from tests.webhook_receiver import HANG, Receiver

pytestmark = pytest.mark.django_db(transaction=True)



def approved(author, editor, **kw) -> Draft:
    draft, _ = services.submit_draft(author=author, topic="Tides and the moon", **kw)
    draft = wait_for_status(draft, "awaiting_review")
    result = review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1)
    assert result.state == "approved"
    return draft


def publish_result(draft_id: int) -> PublishResult:
    """The PublishDraft run's result. The approval's answer comes before the review starts
    its child, so the run may not exist yet for a moment."""
    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(
            publish_workflow_id(draft_id), result_type=PublishResult)
        for _ in range(100):
            try:
                return await handle.result()
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError(f"no PublishDraft run for draft {draft_id}")

    return gateway.run(go(), timeout=60)


def history_json(workflow_id: str) -> str:
    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(workflow_id)
        return (await handle.fetch_history()).to_json()

    return gateway.run(go(), timeout=30)


def events(draft) -> list[str]:
    return list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True))


def test_delivered_once_after_a_500_and_a_timeout(live_worker, author, editor):
    """Fails twice (500, then no answer within the request timeout), then accepts: one
    logical delivery (the same webhook-id every time), every request signed."""
    with Receiver([500, HANG], hang_seconds=3) as receiver:
        cms = Destination.objects.create(name="CMS", url=receiver.url)
        draft = approved(author, editor)
        draft = wait_for_status(draft, "published", timeout=30)
        payloads = receiver.verified(cms.secret)  # raises unless each signature verifies
    assert [r.answered for r in receiver.received] == [500, HANG, 204]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    delivery = Delivery.objects.get(draft=draft)
    assert receiver.received[0].headers["webhook-id"] == delivery.message_id
    assert delivery.is_delivered and delivery.attempts == 3 and delivery.version == 1
    log = list(delivery.log.values_list("number", "status_code", "error"))
    assert log[0] == (1, 500, "HTTP 500 Internal Server Error")
    assert log[1] == (2, None, "no answer within 1 s")
    assert log[2] == (3, 204, "")
    text = draft.versions.get(number=1).text
    assert payloads[-1]["type"] == "draft.approved"
    assert payloads[-1]["data"]["markdown"] == text
    assert payloads[-1]["data"]["draft_id"] == draft.pk and payloads[-1]["data"]["version"] == 1
    assert payloads[0] == payloads[-1]  # the same message each time
    assert events(draft)[-2:] == ["approved", "published"]
    assert workflow_result(draft.pk).state == "approved"  # the review ended at approval
    assert publish_result(draft.pk) == PublishResult(delivered=1, failed={})
    # Neither the signing secret nor the URL enters a workflow's history.
    for workflow_id in (draft.workflow_id, publish_workflow_id(draft.pk)):
        history = history_json(workflow_id)
        assert cms.secret.removeprefix("whsec_") not in history and receiver.url not in history
    save_history(draft.pk, "approve_publish")
    save_history(draft.pk, "publish_delivered", workflow_id=publish_workflow_id(draft.pk))


def test_a_410_fails_without_retry_and_admin_retry_delivers(live_worker, author, editor,
                                                            admin_user):
    with Receiver([410]) as gone, Receiver() as ok:
        Destination.objects.create(name="Old CMS", url=gone.url)
        Destination.objects.create(name="Blog", url=ok.url, channel="blog")
        Destination.objects.create(name="Newsletter", url=ok.url, channel="newsletter")
        for slug in ("blog", "newsletter"):
            Channel.objects.create(slug=slug, name=slug.title())
        draft = approved(author, editor, channel="blog")
        result = publish_result(draft.pk)
        sentence = "Delivery failed after 1 attempt; last error: HTTP 410 Gone."
        assert result == PublishResult(delivered=1, failed={"Old CMS": sentence})
        assert len(gone.received) == 1  # not retried: the run is over
        assert len(ok.received) == 1  # the blog destination; not the newsletter one
        draft.refresh_from_db()
        assert draft.status == "approved"
        assert events(draft)[-1] == "delivery_failed"
        assert draft.events.last().comment == f"Old CMS: {sentence}"
        failed = Delivery.objects.get(draft=draft, destination__name="Old CMS")
        assert failed.is_failed and failed.failure == sentence
        save_history(draft.pk, "publish_failed", workflow_id=publish_workflow_id(draft.pk))
        wait_for(lambda: any("could not be delivered" in m.subject and m.to == [
            admin_user.email] for m in mail.outbox), what="the admins' mail")

        # The receiver is fixed; an admin retries: the same message, delivered.
        gone.script, gone.default = [], 200
        assert "again" in publishing.retry_delivery(draft_id=draft.pk, user=admin_user)
        wait_for_status(draft, "published")
        assert publish_result(draft.pk) == PublishResult(delivered=1, failed={})
        assert [r.headers["webhook-id"] for r in gone.received] == [failed.message_id] * 2
        assert len(ok.received) == 1  # the delivered one is not sent again
        assert events(draft)[-3:] == ["delivery_failed", "delivery_retried", "published"]
        with pytest.raises(errors.Refused, match="nothing to retry"):
            publishing.retry_delivery(draft_id=draft.pk, user=admin_user)


def test_a_destination_that_never_answers_is_given_up(live_worker, settings, author, editor):
    settings.PUBLISH_RETRY_WINDOW = 3.0
    with Receiver(default=HANG, hang_seconds=10) as receiver:
        Destination.objects.create(name="Sink", url=receiver.url)
        draft = approved(author, editor)
        result = publish_result(draft.pk)
    failure = result.failed["Sink"]
    assert failure.startswith("Delivery failed after ")
    assert failure.endswith("; last error: no answer within 1 s.")
    assert 1 <= len(receiver.received) <= 3
    assert Draft.objects.get(pk=draft.pk).status == "approved"


def test_approval_without_destinations_stays_approved(live_worker, author, editor):
    """No destination wants the draft (none for its channel, or inactive): the approval
    starts no PublishDraft run at all, so approvals stay as cheap as before."""
    Destination.objects.create(name="Newsletter", url="https://example.com/h", channel="news")
    Destination.objects.create(name="Off", url="https://example.com/h", is_active=False)
    draft = approved(author, editor)
    assert workflow_result(draft.pk).state == "approved"

    async def publish_run_exists():
        handle = (await gateway.get_client()).get_workflow_handle(publish_workflow_id(draft.pk))
        try:
            await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    assert not gateway.run(publish_run_exists(), timeout=30)
    assert Draft.objects.get(pk=draft.pk).status == "approved"
    assert events(draft)[-1] == "approved"
    with pytest.raises(errors.Refused, match="nothing to retry"):
        publishing.retry_delivery(draft_id=draft.pk, user=editor)


@pytest.mark.parametrize("url, problem", [
    ("ftp://example.com/hook", "Enter a valid URL"),
    ("https://user:pw@example.com/hook", "no credentials"),
    ("javascript:alert(1)", "Enter a valid URL"),
])
def test_destination_urls_are_checked(db, url, problem):
    with pytest.raises(ValidationError, match=problem):
        Destination(name="x", url=url).full_clean()


def test_plain_http_is_refused_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(ValidationError, match="https"):
        Destination(name="x", url="http://example.com/hook").full_clean()
    settings.PUBLISH_ALLOW_HTTP = True
    Destination(name="x", url="http://example.com/hook").full_clean()


def test_secrets_are_checked(db):
    with pytest.raises(ValidationError, match="24 random bytes"):
        Destination(name="x", url="https://example.com/h", secret="whsec_c2hvcnQ=").full_clean()
    with pytest.raises(ValidationError, match="base64"):
        Destination(name="x", url="https://example.com/h", secret="whsec_not base64!").full_clean()
    Destination(name="x", url="https://example.com/h").full_clean()  # the generated one


def test_retry_is_refused_while_delivering_and_heals_a_terminated_run(live_worker, author,
                                                                      editor, admin_user):
    with Receiver(default=HANG, hang_seconds=10) as receiver:
        Destination.objects.create(name="Slow", url=receiver.url)
        draft = approved(author, editor)
        wait_for(lambda: Delivery.objects.filter(draft=draft, attempts__gte=1).exists(),
                 what="a first attempt")
        with pytest.raises(errors.Refused, match="being delivered right now"):
            publishing.retry_delivery(draft_id=draft.pk, user=admin_user)
        assert "delivery_retried" not in events(draft)

        # Someone terminates the run in Temporal: its delivery is left pending, not stuck.
        async def terminate():
            handle = (await gateway.get_client()).get_workflow_handle(
                publish_workflow_id(draft.pk))
            await handle.terminate("test")

        gateway.run(terminate(), timeout=30)
        assert Delivery.objects.get(draft=draft).is_pending
        receiver.default = 204
        publishing.retry_delivery(draft_id=draft.pk, user=admin_user)
        wait_for_status(draft, "published")
        assert events(draft)[-2:] == ["delivery_retried", "published"]


def test_a_destination_pointing_at_the_app_itself_is_refused_not_looped(live_worker, live_server,
                                                                         author, editor):
    """Redline's own API as a destination: it answers 401 to an unsigned-in POST, which is
    final; nothing loops or hangs."""
    Destination.objects.create(name="Myself", url=f"{live_server.url}/api/v1/drafts/")
    draft = approved(author, editor)
    failure = publish_result(draft.pk).failed["Myself"]
    assert failure.startswith("Delivery failed after 1 attempt; last error: HTTP 401")
    assert Delivery.objects.get(draft=draft).attempts == 1
