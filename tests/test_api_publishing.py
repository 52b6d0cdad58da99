"""Publishing through the JSON API and from a shell: a draft's deliveries and their log in the
draft detail, the admins' retry endpoint, `manage.py destination`, and the example receiver
in docs/examples/ (the one docs/api.md tells teams to copy) against the real stack: a live
worker on the session's Temporal dev server and real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from standardwebhooks import Webhook

from drafts.models import Draft
from publishing.deliveries import body as payload
from publishing.models import Delivery, DeliveryAttempt, Destination, new_secret
from review.models import Channel
from rulebook.delivery import DELIVERING, DeliveryStatus
from rulebook.states import EventKind, ReviewState
from temporal_app import devserver, gateway
from temporal_app.types import PublishResult, publish_workflow_id
from tests.conftest import database_url, wait_for, wait_for_status
from tests.test_api import (
    Api,
    _fresh_throttle,  # noqa: F401 (autouse)
    create_token,
    draft_url,
    drafts_url,
    error,
)
from tests.test_publishing import approved, publish_result
from tests.test_web_common import (
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
)
from tests.webhook_receiver import HANG, Receiver

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "webhook_receiver.py"
PUBLISHED = ReviewState.PUBLISHED.value
APPROVED = ReviewState.APPROVED.value
GONE = "Delivery failed after 1 attempt; last error: HTTP 410 Gone."


def retry_url(pk: int) -> str:
    return reverse("api:retry_delivery", args=[pk])


def kinds(draft) -> list[str]:
    return list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True))


def by_destination(body: dict) -> dict[str, dict]:
    return {d["destination"]: d for d in body["deliveries"]}


# ------------------------------------------------------------------ the draft detail and retry


@pytest.mark.django_db(transaction=True)
def test_deliveries_in_the_detail_and_the_admins_retry(live_worker, author, editor, admin_user):
    writer, reviewer = Api(create_token(author)), Api(create_token(editor))
    admin = Api(create_token(admin_user))
    with Receiver([410]) as gone, Receiver() as ok:
        Destination.objects.create(name="Old CMS", url=gone.url)
        Destination.objects.create(name="Blog", url=ok.url, channel="blog")
        Channel.objects.create(slug="blog", name="Blog")
        draft = approved(author, editor, channel="blog")
        # (The run's outcome, from the database: the child may not have started yet when the
        # approval answers, and asking Temporal for its result then finds no workflow.)
        wait_for(lambda: kinds(draft)[-1] == EventKind.DELIVERY_FAILED.value,
                 what="the delivery_failed event")
        assert publish_result(draft.pk) == PublishResult(delivered=1, failed={"Old CMS": GONE})

        body = writer.get(draft_url(draft.pk)).json()
        assert body["channel"] == "blog" and body["state"] == APPROVED
        assert [d["destination"] for d in body["deliveries"]] == ["Blog", "Old CMS"]
        failed, blog = by_destination(body)["Old CMS"], by_destination(body)["Blog"]
        row = Delivery.objects.get(draft=draft, destination__name="Old CMS")
        at = failed["log"][0].pop("at")
        assert datetime.fromisoformat(at) == row.last_attempt_at
        assert failed == {
            "destination": "Old CMS", "status": DeliveryStatus.FAILED.value,
            "status_label": "Delivery failed", "version": 1, "message_id": row.message_id,
            "attempts": 1, "last_error": "HTTP 410 Gone", "failure": GONE,
            "first_attempt_at": at, "last_attempt_at": at, "delivered_at": None,
            "log": [{"number": 1, "status_code": 410, "error": "HTTP 410 Gone",
                     "duration_ms": row.log.get().duration_ms}]}
        assert gone.received[0].headers["webhook-id"] == failed["message_id"]
        assert blog["status"] == DeliveryStatus.DELIVERED.value and blog["delivered_at"]
        assert [(e["number"], e["status_code"], e["error"]) for e in blog["log"]] == [
            (1, 204, "")]
        listed = writer.get(drafts_url()).json()["results"]
        assert [(d["id"], d["channel"]) for d in listed] == [(draft.pk, "blog")]
        assert "deliveries" not in listed[0]  # the summary stays a summary

        # Only admins retry: an editor and the author get 403, and nothing is recorded.
        before = kinds(draft)
        forbidden = error(reviewer.post(retry_url(draft.pk), {}), 403, "Forbidden")
        assert forbidden["detail"] == "Only admins can retry a delivery."
        error(writer.post(retry_url(draft.pk)), 403, "Forbidden")
        unknown = error(admin.post(retry_url(draft.pk), {"force": True}), 400, "UnknownField")
        assert unknown["fields"] == {"force": "Unknown field."}
        assert "takes no fields" in unknown["detail"]
        error(admin.post(retry_url(draft.pk), raw="{"), 400, "MalformedJSON")
        error(admin.post(retry_url(draft.pk + 1000), {}), 404, "NotFound")
        assert kinds(draft) == before and len(gone.received) == 1

        # The receiver is fixed; the admin retries: the same message, delivered.
        gone.script, gone.default = [], 204
        response = admin.post(retry_url(draft.pk), {})
        assert response.status_code == 202, response.content
        assert response.json() == {"detail": f"Delivering draft #{draft.pk} again to the "
                                             "destination that did not get it."}
        wait_for_status(draft, PUBLISHED)
        body = writer.get(draft_url(draft.pk)).json()
        assert body["state"] == PUBLISHED
        again = by_destination(body)["Old CMS"]
        assert again["status"] == DeliveryStatus.DELIVERED.value and again["failure"] == ""
        assert again["attempts"] == 2 and again["message_id"] == row.message_id
        assert [(e["number"], e["status_code"], e["error"]) for e in again["log"]] == [
            (1, 410, "HTTP 410 Gone"), (2, 204, "")]
        assert by_destination(body)["Blog"]["attempts"] == 1 and len(ok.received) == 1
        assert [r.headers["webhook-id"] for r in gone.received] == [row.message_id] * 2
        assert kinds(draft)[-3:] == [EventKind.DELIVERY_FAILED.value,
                                     EventKind.DELIVERY_RETRIED.value, EventKind.PUBLISHED.value]

        nothing = error(admin.post(retry_url(draft.pk)), 409, "NothingFailed")
        assert nothing["detail"] == ("No delivery of this draft failed; there is nothing to "
                                     "retry.")


def failed_delivery(author, editor) -> Delivery:
    """An approved draft whose one delivery failed (rows only: no worker, no receiver)."""
    draft = make_draft(author, status=APPROVED, decided_by=editor)
    destination = Destination.objects.create(name="CMS", url="https://cms.example.com/hook")
    return Delivery.objects.create(draft=draft, destination=destination, version=1, attempts=1,
                                   status=DeliveryStatus.FAILED.value, failure=GONE,
                                   last_error="HTTP 410 Gone")


@pytest.mark.django_db
def test_the_retry_refusals_are_the_rulebooks_409s(author, editor, admin_user):
    admin = Api(create_token(admin_user))
    waiting = make_draft(author)
    error(admin.post(retry_url(waiting.pk)), 409, "NotApproved")
    delivery = failed_delivery(author, editor)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED.value)
    error(admin.post(retry_url(delivery.draft_id)), 409, "NothingFailed")
    nowhere = make_draft(author, status=APPROVED, decided_by=editor, topic="No destinations")
    error(admin.post(retry_url(nowhere.pk)), 409, "NothingFailed")
    assert kinds(waiting)[-1] == EventKind.GENERATED.value
    assert kinds(delivery.draft)[-1] == EventKind.APPROVED.value


@pytest.mark.django_db(transaction=True)
def test_retry_while_a_run_delivers_is_409_delivering(live_worker, author, editor, admin_user):
    admin = Api(create_token(admin_user))
    with Receiver(default=HANG, hang_seconds=5) as receiver:
        Destination.objects.create(name="Slow", url=receiver.url)
        draft = approved(author, editor)
        wait_for(lambda: Delivery.objects.filter(draft=draft, attempts__gte=1).exists(),
                 what="a first attempt")
        refused = error(admin.post(retry_url(draft.pk)), 409, "Delivering")
        assert refused["detail"] == DELIVERING
        assert EventKind.DELIVERY_RETRIED.value not in kinds(draft)

        async def terminate():  # leave no run retrying after the test
            handle = (await gateway.get_client()).get_workflow_handle(
                publish_workflow_id(draft.pk))
            await handle.terminate("test over")

        gateway.run(terminate(), timeout=30)


@pytest.mark.django_db
def test_retry_with_the_engine_unavailable_is_503_and_nothing_recorded(settings, author,
                                                                        editor, admin_user):
    delivery = failed_delivery(author, editor)
    admin = Api(create_token(admin_user))
    before = kinds(delivery.draft)
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # nothing listens
    gateway.reset_client()
    try:
        response = admin.post(retry_url(delivery.draft_id), {})
    finally:
        gateway.reset_client()
    result = error(response, 503, "Unavailable")
    assert "Nothing was recorded" in result["detail"] and response["Retry-After"] == "5"
    assert kinds(delivery.draft) == before
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED.value


@pytest.mark.django_db
def test_the_detail_and_the_list_take_a_fixed_number_of_queries(author, editor):
    api = Api(create_token(author))

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    first = failed_delivery(author, editor)
    api.get(drafts_url())  # the token's first use is recorded once
    one = (queries(draft_url(first.draft_id)), queries(drafts_url()))
    # More drafts, destinations and attempts: the same number of queries.
    for n in range(2):
        make_draft(author, status=APPROVED, decided_by=editor, topic=f"Other {n}")
        other = Destination.objects.create(name=f"Site {n}", url=f"https://s{n}.example.com/h")
        delivery = Delivery.objects.create(draft=first.draft, destination=other, version=1)
        for number in (1, 2, 3):
            DeliveryAttempt.objects.create(delivery=delivery, number=number, status_code=500,
                                           error="HTTP 500", at=datetime.now(UTC))
    assert len(api.get(draft_url(first.draft_id)).json()["deliveries"]) == 3
    assert len(api.get(drafts_url()).json()["results"]) == 3
    assert (queries(draft_url(first.draft_id)), queries(drafts_url())) == one


# ------------------------------------------------------------------ manage.py destination


def destination(*args: str) -> str:
    out = StringIO()
    call_command("destination", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_destination_add_prints_the_secret_once_and_saves_the_row():
    from review.models import Channel

    Channel.objects.create(slug="blog", name="Blog")
    out = destination("add", "--name", "CMS", "--url", "https://cms.example.com/hook",
                      "--channel", "blog")
    row = Destination.objects.get()
    assert (row.name, row.url, row.channel, row.is_active) == (
        "CMS", "https://cms.example.com/hook", "blog", True)
    assert row.secret.startswith("whsec_")
    assert out.strip().splitlines()[-1] == row.secret  # last line: for `| tail -n 1`
    assert out.count(row.secret) == 1
    given = new_secret()
    destination("add", "--name", "Blog", "--url", "https://blog.example.com/h",
                "--secret", given)
    assert Destination.objects.get(name="Blog").secret == given


@pytest.mark.django_db
@pytest.mark.parametrize("args, problem", [
    (["--url", "ftp://cms.example.com/hook"], "url: Enter a valid URL."),
    (["--url", "https://u:pw@cms.example.com/hook"], "url: Put no credentials in the URL"),
    (["--channel", "Blog!"], "channel: The channel must be lower-case letters"),
    (["--channel", "blgo"], "channel: There is no channel 'blgo': no draft would ever reach"),
    (["--secret", "whsec_c2hvcnQ="], "secret: A signing secret needs at least 24"),
    (["--name", "Taken"], "name: Destination with this Name already exists."),
])
def test_destination_add_refuses_bad_input_and_writes_nothing(args, problem):
    Destination.objects.create(name="Taken", url="https://taken.example.com/")
    base = {"--name": "CMS", "--url": "https://cms.example.com/hook"}
    base.update(zip(args[::2], args[1::2], strict=True))
    with pytest.raises(CommandError) as refused:
        destination("add", *[part for pair in base.items() for part in pair])
    assert str(refused.value).startswith("Destination not added. ")
    assert problem in str(refused.value) and "\n" not in str(refused.value)
    assert list(Destination.objects.values_list("name", flat=True)) == ["Taken"]


@pytest.mark.django_db
def test_destination_add_refuses_http_in_production(settings):
    settings.DEBUG = False
    settings.PUBLISH_ALLOW_HTTP = False
    with pytest.raises(CommandError, match="Use an https:// URL"):
        destination("add", "--name", "CMS", "--url", "http://cms.example.com/hook")
    assert not Destination.objects.exists()


@pytest.mark.django_db
def test_destination_add_from_a_shell_fails_with_one_line_and_exit_code_1():
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    done = subprocess.run(
        [sys.executable, "manage.py", "destination", "add", "--name", "CMS", "--url",
         "ftp://cms.example.com/hook"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=base | {"DEBUG": "true", "DATABASE_URL": database_url()})
    assert done.returncode == 1, done
    assert done.stdout == ""
    said = [line for line in done.stderr.splitlines() if not line.startswith("AXES: ")]
    assert said == ["CommandError: Destination not added. url: Enter a valid URL."]
    assert not Destination.objects.exists()


@pytest.mark.django_db
def test_destination_list_never_shows_a_secret_and_remove_deactivates():
    assert "No destinations" in destination("list")
    cms = Destination.objects.create(name="CMS", url="https://cms.example.com/hook")
    blog = Destination.objects.create(name="Blog", url="https://blog.example.com/h",
                                      channel="blog")
    out = destination("remove", "CMS")
    assert "Deactivated destination 'CMS'" in out
    cms.refresh_from_db()
    assert not cms.is_active  # kept: deliveries reference it
    assert "already inactive" in destination("remove", "CMS")
    with pytest.raises(CommandError, match="no destination named 'Nope'"):
        destination("remove", "Nope")
    lines = destination("list").splitlines()
    assert lines[0].split() == ["NAME", "URL", "CHANNEL", "ACTIVE"]
    assert lines[1].split() == ["Blog", "https://blog.example.com/h", "blog", "yes"]
    assert lines[2].split() == ["CMS", "https://cms.example.com/hook", "(every)", "no"]
    listing = "\n".join(lines)
    for secret in (cms.secret, blog.secret):
        assert secret not in listing and secret.removeprefix("whsec_")[:8] not in listing


# ------------------------------------------------------------------ the example receiver


def post(url: str, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.django_db(transaction=True)
def test_the_example_receiver_gets_a_draft_and_refuses_forgeries(live_worker, author, editor):
    port, secret = devserver.free_port(), new_secret()
    receiver = subprocess.Popen(
        [sys.executable, str(EXAMPLE)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={"PATH": os.environ.get("PATH", ""), "WEBHOOK_SECRET": secret, "PORT": str(port)})
    try:
        devserver.wait_for_port(port, timeout=15, proc=receiver)
        url = f"http://127.0.0.1:{port}/hook"
        Destination.objects.create(name="Example", url=url, secret=secret)

        # The docs' script: submit, wait for review, approve, wait until published.
        writer, reviewer = Api(create_token(author)), Api(create_token(editor))
        pk = writer.post(drafts_url(), {"topic": "Tides and the moon"}).json()["id"]
        wait_for(lambda: writer.get(draft_url(pk)).json()["state"]
                 == ReviewState.AWAITING_REVIEW.value, what="awaiting review")
        decided = reviewer.post(reverse("api:decisions", args=[pk]),
                                {"decision": "approve", "version": 1})
        assert decided.json()["state"] == APPROVED
        wait_for(lambda: writer.get(draft_url(pk)).json()["state"] == PUBLISHED,
                 what="published")
        delivery = Delivery.objects.get(draft_id=pk)
        assert delivery.attempts == 1 and delivery.log.get().status_code == 204

        # The same message again (a retry Redline would make): 200, not processed twice.
        text, now = payload(delivery), datetime.now(UTC)  # the body, as Redline builds it
        sign = Webhook(secret).sign

        def headers(msg_id: str, at: datetime, signature: str | None = None) -> dict:
            return {"content-type": "application/json", "webhook-id": msg_id,
                    "webhook-timestamp": str(int(at.timestamp())),
                    "webhook-signature": signature or sign(msg_id, at, text)}

        assert post(url, text, headers(delivery.message_id, now)) == 200
        # Forgeries: a wrong key, a tampered body, a stale or missing timestamp.
        wrong = Webhook(new_secret()).sign("msg_forged", now, text)
        assert post(url, text, headers("msg_forged", now, wrong)) == 401
        assert post(url, text.replace("Tides", "Waves"), headers("msg_tampered", now,
                    sign("msg_tampered", now, text))) == 401
        stale = now - timedelta(minutes=6)
        assert post(url, text, headers("msg_stale", stale)) == 401
        assert post(url, text, {"webhook-id": "msg_x", "webhook-signature": "v1,AAAA"}) == 401
        # A fresh, well-signed message is processed (so the 401s were about the forgeries).
        assert post(url, text, headers("msg_fresh", now)) == 204
    finally:
        receiver.terminate()
        out, err = receiver.communicate(timeout=15)
    lines = [line for line in out.splitlines() if line.startswith("received")]
    assert lines == [f"received draft {pk} version 1: Tides and the moon "
                     f"({delivery.message_id})",
                     f"received draft {pk} version 1: Tides and the moon (msg_fresh)"], (out, err)
    assert json.loads(text)["data"]["topic"] == "Tides and the moon"
