"""Publishing on the web: the draft page's Delivery card and live refresh, Retry delivery
(button and Django admin action), the admin pages for destinations and deliveries, the new
topic form's channel. The first tests build rows with the ORM (no worker); the ones marked
`live` run the real stack: a worker, a local webhook receiver, real Temporal."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from drafts.models import Draft, DraftEvent
from publishing.models import Delivery, DeliveryAttempt, Destination
from review.models import Channel
from rulebook import states
from rulebook.delivery import DeliveryStatus
from tests.conftest import make_user, wait_for, wait_for_status
from tests.test_publishing import approved
from tests.test_web_common import (
    HTMX,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
)
from tests.webhook_receiver import HANG, Receiver

pytestmark = pytest.mark.django_db
live = pytest.mark.django_db(transaction=True)

GONE = "Delivery failed after 1 attempt; last error: HTTP 410 Gone."



@pytest.fixture
def superuser(db):
    user = make_user("root", staff=True)
    user.is_superuser = True
    user.save()
    return user


def retry_url(draft) -> str:
    return reverse("drafts:retry_delivery", args=[draft.pk])


def kinds(draft) -> list[str]:
    return list(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True))


def live_region(html: str) -> str:
    """The opening tag of the status region (it carries the polling attributes)."""
    return html.split('<div id="live"', 1)[1].split(">", 1)[0]


def seen_stamp(html: str) -> str:
    from urllib.parse import unquote

    return unquote(re.search(r"\?seen=([^&\"]*)&amp;", html).group(1))


def delivery(draft, destination, status, *, attempts=(), failure="") -> Delivery:
    """A delivery row with its log: `attempts` is a list of (status_code, error)."""
    now = timezone.now()
    row = Delivery.objects.create(draft=draft, destination=destination, version=1,
                                  status=status, attempts=len(attempts), failure=failure,
                                  first_attempt_at=now if attempts else None,
                                  last_attempt_at=now if attempts else None,
                                  last_error=attempts[-1][1] if attempts else "",
                                  delivered_at=now if status == DeliveryStatus.DELIVERED
                                  else None)
    for number, (code, error) in enumerate(attempts, start=1):
        DeliveryAttempt.objects.create(delivery=row, number=number, status_code=code,
                                       error=error, duration_ms=40 + number, at=now)
    return row


# ----------------------------------------------------------------- the draft page (no worker)


def test_the_delivery_card_shows_each_destination_and_its_log(author, editor):
    draft = make_draft(author, status="approved", decided_by=editor, channel="blog")
    cms = Destination.objects.create(name="Old CMS", url="https://cms.example.com/hook")
    blog = Destination.objects.create(name="Blog", url="https://blog.example.com/hook",
                                      channel="blog")
    delivery(draft, cms, DeliveryStatus.FAILED, failure=GONE,
             attempts=[(None, "no answer within 1 s"), (410, "HTTP 410 Gone")])
    delivery(draft, blog, DeliveryStatus.DELIVERED, attempts=[(204, "")])
    html = client_for(author).get(draft.get_absolute_url()).content.decode()
    card = html.split('<h2 id="delivery-h">Delivery</h2>', 1)[1].split("</section>", 1)[0]
    assert "to 2 destinations (channel <code>blog</code>)" in card
    assert card.index("Blog") < card.index("Old CMS")  # by name
    assert '<span class="badge ds-failed">Delivery failed</span>' in card
    assert '<span class="badge ds-delivered">Delivered</span>' in card
    assert f'<p class="msg error">{GONE}</p>' in card
    assert "<dt>Delivered</dt>" in card and "<dt>Attempts</dt><dd>2</dd>" in card
    assert "Delivery log (2 attempts)" in card and "Delivery log (1 attempt)" in card
    assert "<td>1</td><td>no answer</td><td>no answer within 1 s</td>" in card
    assert "<td>2</td><td>410</td><td>HTTP 410 Gone</td>" in card
    assert "<td>1</td><td>204</td><td>—</td>" in card and '<td class="num">41</td>' in card
    assert "cms.example.com" not in html  # destination names, never URLs
    assert "Approved by editor1 on " in html and "; delivery to 1 destination failed." in html
    assert "hx-get" not in live_region(html)  # nothing in progress: no polling
    assert "Retry delivery" not in html  # the author is not an admin


def test_a_draft_without_deliveries_has_no_delivery_card(author, editor):
    draft = make_draft(author, status="approved", decided_by=editor)
    html = client_for(author).get(draft.get_absolute_url()).content.decode()
    assert 'id="delivery-h"' not in html
    assert re.search(r"Approved by editor1 on [\d-]+ [\d:]+ UTC\.</span>", html)


def test_published_reads_as_published(author, editor):
    draft = make_draft(author, status="published", decided_by=editor)
    dest = Destination.objects.create(name="Blog", url="https://blog.example.com/hook")
    delivery(draft, dest, DeliveryStatus.DELIVERED, attempts=[(200, "")])
    html = client_for(author).get(draft.get_absolute_url()).content.decode()
    assert '<span class="badge s-published">Published</span>' in html
    assert re.search(r"Approved by editor1 on [\d-]+ [\d:]+ UTC and published to every "
                     r"destination\.</span>", html)
    assert "Published by" not in html and "hx-get" not in live_region(html)
    assert "Download the approved text" in html  # published is approved


def test_the_page_polls_while_a_delivery_is_pending_and_stops_after(author, editor):
    """The stamp the page polls with covers the deliveries: unchanged → 204, a new attempt →
    the card again (out of band), delivered and published → the final region and 286."""
    draft = make_draft(author, status="approved", decided_by=editor)
    dest = Destination.objects.create(name="Blog", url="https://blog.example.com/hook")
    row = delivery(draft, dest, DeliveryStatus.PENDING, attempts=[(503, "HTTP 503")])
    client, url = client_for(author), draft.get_absolute_url()
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 5s,' in live_region(html)
    assert "; delivering…</span>" in html and "Retrying with backoff; last error: HTTP 503." \
        in html
    seen = seen_stamp(html)
    assert client.get(url, {"seen": seen, "p": "0"}, **HTMX).status_code == 204
    DeliveryAttempt.objects.create(delivery=row, number=2, status_code=None,
                                   error="no answer within 1 s", at=timezone.now())
    Delivery.objects.filter(pk=row.pk).update(attempts=2)
    changed = client.get(url, {"seen": seen, "p": "0"}, **HTMX)
    body = changed.content.decode()
    assert changed.status_code == 200 and 'hx-trigger="every 5s,' in body
    assert '<div id="content" hx-swap-oob="true">' in body and "Delivery log (2 attempts)" in body
    assert seen_stamp(body) != seen
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.DELIVERED.value,
                                              delivered_at=timezone.now())
    Draft.objects.filter(pk=draft.pk).update(status=states.ReviewState.PUBLISHED.value)
    final = client.get(url, {"seen": seen_stamp(body), "p": "0"}, **HTMX)
    assert final.status_code == 286  # HttpResponseStopPolling
    assert "published to every destination." in final.content.decode()
    assert "hx-get" not in live_region(final.content.decode())


def test_the_page_waits_for_the_deliveries_of_a_fresh_approval(author, editor):
    """Just approved, a destination wants it, no delivery row yet (the run is starting): the
    page keeps polling. Without a destination it does not; a while after, it stops."""
    draft = make_draft(author, status="approved", decided_by=editor)
    client, url = client_for(author), draft.get_absolute_url()
    assert "hx-get" not in live_region(client.get(url).content.decode())
    Destination.objects.create(name="Blog", url="https://blog.example.com/hook")
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 5s,' in live_region(html) and "; delivering…" in html
    seen = seen_stamp(html)
    assert client.get(url, {"seen": seen, "p": "0"}, **HTMX).status_code == 204
    DraftEvent.objects.filter(draft=draft).update(
        created_at=timezone.now() - timedelta(minutes=10))
    stopped = client.get(url, {"seen": seen, "p": "0"}, **HTMX)
    assert stopped.status_code == 286 and "hx-get" not in live_region(stopped.content.decode())


# ----------------------------------------------------------------- Retry delivery (no worker)


def test_retry_delivery_button_is_for_admins_and_only_when_something_failed(
        author, editor, admin_user):
    draft = make_draft(author, status="approved", decided_by=editor)
    dest = Destination.objects.create(name="Old CMS", url="https://cms.example.com/hook")
    row = delivery(draft, dest, DeliveryStatus.FAILED, failure=GONE,
                   attempts=[(410, "HTTP 410 Gone")])
    button = f'<form method="post" action="{retry_url(draft)}">'
    for user, shown in ((author, False), (editor, False), (admin_user, True)):
        html = client_for(user).get(draft.get_absolute_url()).content.decode()
        assert (button in html) is shown, user
        assert ("<button type=\"submit\">Retry delivery</button>" in html) is shown
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING.value)
    html = client_for(admin_user).get(draft.get_absolute_url()).content.decode()
    assert button not in html  # still being tried


@pytest.mark.parametrize("who", ["author", "editor"])
def test_retry_delivery_by_a_non_admin_is_403_and_records_nothing(request, who, author, editor):
    draft = make_draft(author, status="approved", decided_by=editor)
    dest = Destination.objects.create(name="Old CMS", url="https://cms.example.com/hook")
    delivery(draft, dest, DeliveryStatus.FAILED, failure=GONE, attempts=[(410, "HTTP 410")])
    before = kinds(draft)
    for headers in ({}, HTMX):
        response = client_for(request.getfixturevalue(who)).post(retry_url(draft), **headers)
        assert response.status_code == 403
        assert "Only admins can retry a delivery." in response.content.decode()
    assert kinds(draft) == before
    assert Delivery.objects.get(draft=draft).status == DeliveryStatus.FAILED


def test_retry_delivery_refusals_are_said_and_record_nothing(author, editor, admin_user):
    draft = make_draft(author, status="approved", decided_by=editor)
    client = client_for(admin_user)
    response = client.post(retry_url(draft), follow=True)
    assert response.redirect_chain == [(draft.get_absolute_url(), 302)]
    assert '<li class="msg error">No delivery of this draft failed; there is nothing to ' \
           "retry.</li>" in response.content.decode()
    htmx = client.post(retry_url(draft), **HTMX)
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == draft.get_absolute_url()
    assert kinds(draft) == ["submitted", "generated", "approved"]
    assert client.get(retry_url(draft)).status_code == 405
    assert client.post(reverse("drafts:retry_delivery", args=[999999])).status_code == 404


# ----------------------------------------------------------------- Django admin (no worker)


def test_admin_pages_for_destinations_and_deliveries(author, editor, superuser):
    draft = make_draft(author, status="approved", decided_by=editor)
    cms = Destination.objects.create(name="Old CMS", url="https://cms.example.com/hook",
                                     channel="blog")
    row = delivery(draft, cms, DeliveryStatus.FAILED, failure=GONE,
                   attempts=[(410, "HTTP 410 Gone")])
    client = client_for(superuser)
    destinations = client.get(reverse("admin:publishing_destination_changelist"))
    assert destinations.status_code == 200
    html = destinations.content.decode()
    assert "Old CMS" in html and "https://cms.example.com/hook" in html
    assert '<td class="field-failed_count">1</td>' in html
    assert '<td class="field-delivered_count">0</td>' in html
    change = client.get(reverse("admin:publishing_destination_change", args=[cms.pk]))
    assert change.status_code == 200 and cms.secret in change.content.decode()
    assert "verifies every request with it" in change.content.decode()
    deliveries = client.get(reverse("admin:publishing_delivery_changelist"))
    assert deliveries.status_code == 200
    html = deliveries.content.decode()
    assert GONE in html and "Retry delivery (the drafts of the selected deliveries)" in html
    assert reverse("admin:publishing_delivery_add") not in html  # no adding
    detail = client.get(reverse("admin:publishing_delivery_change", args=[row.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "HTTP 410 Gone" in body and 'name="status"' not in body  # read-only
    # Nothing about a delivery can be written here.
    client.post(reverse("admin:publishing_delivery_change", args=[row.pk]),
                {"status": DeliveryStatus.DELIVERED.value, "attempts": "0"})
    assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.FAILED


def test_a_staff_user_needs_permissions_for_the_admin_pages(admin_user):
    client = client_for(admin_user)  # staff, no model permissions
    assert client.get(reverse("admin:publishing_delivery_changelist")).status_code == 403
    from django.contrib.auth.models import Permission

    admin_user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_delivery", "view_destination"]))
    client = client_for(admin_user)
    assert client.get(reverse("admin:publishing_delivery_changelist")).status_code == 200
    assert client.get(reverse("admin:publishing_destination_changelist")).status_code == 200


def test_the_admin_action_reports_a_refusal_per_draft(author, editor, superuser):
    first = make_draft(author, status="approved", decided_by=editor)
    second = make_draft(author, status="approved", decided_by=editor, topic="Second")
    dest = Destination.objects.create(name="Blog", url="https://blog.example.com/hook")
    other = Destination.objects.create(name="CMS", url="https://cms.example.com/hook")
    rows = [delivery(first, dest, DeliveryStatus.DELIVERED, attempts=[(204, "")]),
            delivery(first, other, DeliveryStatus.DELIVERED, attempts=[(204, "")]),
            delivery(second, dest, DeliveryStatus.DELIVERED, attempts=[(204, "")])]
    response = client_for(superuser).post(
        reverse("admin:publishing_delivery_changelist"),
        {"action": "retry_delivery", "_selected_action": [str(r.pk) for r in rows]})
    assert response.status_code == 302
    said = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    nothing = "No delivery of this draft failed; there is nothing to retry."
    assert said == [("error", f"Draft #{first.pk}: {nothing}"),
                    ("error", f"Draft #{second.pk}: {nothing}")]  # once per draft
    assert kinds(first) == kinds(second) == ["submitted", "generated", "approved"]


# ----------------------------------------------------------------- the new topic form


def test_the_form_offers_the_channels_and_refuses_another(author):
    client = client_for(author)
    assert '<option value="blog">' not in client.get(reverse("drafts:new")).content.decode()
    Channel.objects.create(slug="blog", name="Blog")
    form = client.get(reverse("drafts:new")).content.decode()
    assert '<label for="id_channel">Channel</label>' in form
    assert '<option value="blog">Blog</option>' in form
    data = {"topic": "Tides", "target_words": "600", "channel": "Blog",
            "submission_key": str(uuid.uuid4())}
    sentence = "There is no channel 'Blog'; choose one from the list."
    for headers, status in (({}, 200), (HTMX, 422)):
        response = client.post(reverse("drafts:new"), data, **headers)
        assert response.status_code == status
        html = response.content.decode()
        assert f'<p class="error" id="id_channel_error">{sentence}' in html.replace(
            "&#x27;", "'")
    assert Draft.objects.count() == 0


# ----------------------------------------------------------------- the real stack


@live
def test_a_410_shows_on_the_page_and_an_admin_retries_from_it(live_worker, author, editor,
                                                              admin_user):
    with Receiver([410]) as gone:
        Destination.objects.create(name="Old CMS", url=gone.url)
        draft = approved(author, editor)
        wait_for(lambda: kinds(draft)[-1] == "delivery_failed", what="delivery_failed")
        assert Delivery.objects.get(draft=draft).failure == GONE
        html = client_for(author).get(draft.get_absolute_url()).content.decode()
        assert f'<p class="msg error">{GONE}</p>' in html
        assert "<td>1</td><td>410</td><td>HTTP 410 Gone</td>" in html
        assert "; delivery to 1 destination failed." in html
        assert "hx-get" not in live_region(html)
        assert "Retry delivery</button>" not in html
        before = kinds(draft)
        for user in (author, editor):
            assert client_for(user).post(retry_url(draft)).status_code == 403
        assert kinds(draft) == before and len(gone.received) == 1

        # The receiver is fixed; an admin retries from the page.
        gone.script, gone.default = [], 200
        admin = client_for(admin_user)
        assert "Retry delivery</button>" in admin.get(draft.get_absolute_url()).content.decode()
        response = admin.post(retry_url(draft))
        assert response.status_code == 302 and response.url == draft.get_absolute_url()
        said = [m.message for m in get_messages(response.wsgi_request)]
        assert said == [f"Delivering draft #{draft.pk} again to the destination that did not "
                        "get it."]
        wait_for_status(draft, "published")
    assert kinds(draft)[-3:] == ["delivery_failed", "delivery_retried", "published"]
    html = admin.get(draft.get_absolute_url()).content.decode()
    assert "and published to every destination." in html
    assert '<span class="badge ds-delivered">Delivered</span>' in html
    assert "<td>2</td><td>200</td><td>—</td>" in html
    assert "Retry delivery</button>" not in html and "hx-get" not in live_region(html)


@live
def test_the_page_follows_a_pending_delivery_until_it_is_published(live_worker, author,
                                                                   editor):
    with Receiver(default=HANG, hang_seconds=2) as receiver:
        Destination.objects.create(name="Slow CMS", url=receiver.url)
        draft = approved(author, editor)
        wait_for(lambda: Delivery.objects.filter(draft=draft, attempts__gte=1,
                                                 status=DeliveryStatus.PENDING).exists(),
                 what="a pending delivery with an attempt")
        client, url = client_for(author), draft.get_absolute_url()
        html = client.get(url).content.decode()
        assert 'hx-trigger="every 5s,' in live_region(html)
        assert "; delivering…" in html and '<span class="badge ds-pending">Delivering</span>' \
            in html and "no answer within 1 s" in html
        seen = seen_stamp(html)
        receiver.default = 204  # the destination recovers
        wait_for_status(draft, "published")
    final = client.get(url, {"seen": seen, "p": "0"}, **HTMX)
    assert final.status_code == 286
    body = final.content.decode()
    assert "and published to every destination." in body and "hx-get" not in live_region(body)
    assert '<div id="content" hx-swap-oob="true">' in body and "Delivered</span>" in body
    html = client.get(url).content.decode()
    assert "hx-get" not in live_region(html) and "hx-trigger" not in live_region(html)


@live
def test_the_admin_action_retries_a_failed_delivery(live_worker, author, editor, superuser):
    with Receiver([410]) as gone:
        Destination.objects.create(name="Old CMS", url=gone.url)
        draft = approved(author, editor)
        wait_for(lambda: kinds(draft)[-1] == "delivery_failed", what="delivery_failed")
        assert Delivery.objects.get(draft=draft).failure == GONE
        gone.script, gone.default = [], 200
        row = Delivery.objects.get(draft=draft)
        response = client_for(superuser).post(
            reverse("admin:publishing_delivery_changelist"),
            {"action": "retry_delivery", "_selected_action": [str(row.pk)]}, follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        assert (f"Delivering draft #{draft.pk} again to the destination that did not get it."
                in html)
        wait_for_status(draft, "published")
    assert kinds(draft)[-2:] == ["delivery_retried", "published"]
    assert [r.headers["webhook-id"] for r in gone.received] == [row.message_id] * 2
