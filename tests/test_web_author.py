"""Authors' pages without a worker: the submit form, "My drafts", the draft page (full and
htmx), withdraw/retry refusals. A submitted draft's workflow would start on commit; these
tests run inside a transaction that never commits, so no workflow starts."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from drafts.models import Draft
from rulebook.states import ReviewState
from tests.test_web_common import (
    HTMX,
    V1,
    V2,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
)

pytestmark = pytest.mark.django_db

NEW = reverse("drafts:new")
LIST = reverse("drafts:list")


def form_data(**kw):
    return {"topic": "Tides and the moon", "brief": "For schools", "audience": "pupils",
            "tone": "friendly", "target_words": "300", "submission_key": str(uuid.uuid4())} | kw


# ----------------------------------------------------------------- the submit form


def test_new_form_has_a_label_for_every_field(author):
    response = client_for(author).get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("topic", "brief", "audience", "tone", "target_words"):
        assert f'<label for="id_{field}">' in html
    assert 'name="submission_key"' in html and 'type="hidden"' in html
    assert "<button type=\"submit\">Submit topic</button>" in html
    assert 'hx-post="/drafts/new/"' in html and 'method="post"' in html


def test_plain_post_creates_the_draft_and_redirects(author):
    response = client_for(author).post(NEW, form_data())
    draft = Draft.objects.get()
    assert response.status_code == 302 and response.url == f"/drafts/{draft.pk}/"
    assert (draft.author, draft.topic, draft.target_words) == (author, "Tides and the moon", 300)
    assert (draft.audience, draft.tone, draft.status) == ("pupils", "friendly", "generating")
    assert list(draft.events.values_list("kind", flat=True)) == ["submitted"]


def test_htmx_post_creates_the_draft_and_redirects_the_client(author):
    response = client_for(author).post(NEW, form_data(), **HTMX)
    draft = Draft.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/drafts/{draft.pk}/"


def test_double_submit_creates_one_draft(author):
    client, data = client_for(author), form_data()
    first = client.post(NEW, data)
    second = client.post(NEW, data, **HTMX)
    assert Draft.objects.count() == 1
    assert first.url == second["HX-Redirect"]


@pytest.mark.parametrize(("data", "message"), [
    ({"topic": ""}, "Enter a topic."),
    ({"topic": "t" * 201}, "Keep the topic to 200 characters or fewer (it has 201)."),
    ({"topic": "<script>alert(1)</script>"}, "The topic must be plain text, not HTML."),
    ({"brief": "b" * 4001}, "Keep the brief to 4,000 characters or fewer (it has 4001)."),
])
def test_bad_input_is_shown_inline_and_writes_nothing(author, data, message):
    client = client_for(author)
    plain = client.post(NEW, form_data(**data))
    assert plain.status_code == 200
    assert message in plain.content.decode()
    assert "<html" in plain.content.decode()  # the whole page
    partial = client.post(NEW, form_data(**data), **HTMX)
    assert partial.status_code == 422
    html = partial.content.decode()
    assert message in html and html.lstrip().startswith("<form id=\"draft-form\"")
    assert "<html" not in html
    assert "Nothing was submitted" in html
    assert 'aria-invalid="true"' in html
    assert Draft.objects.count() == 0


def test_invalid_form_keeps_what_was_typed_and_the_key(author):
    data = form_data(topic="", brief="My brief")
    html = client_for(author).post(NEW, data, **HTMX).content.decode()
    assert "My brief</textarea>" in html
    assert f'value="{data["submission_key"]}"' in html


def test_editor_cannot_submit(editor):
    response = client_for(editor).post(NEW, form_data())
    assert response.status_code == 403
    assert "Only authors can do this." in response.content.decode()
    assert Draft.objects.count() == 0


# ----------------------------------------------------------------- my drafts


def test_my_drafts_lists_only_mine_with_badges(author, other_author):
    mine = make_draft(author, topic="Mine awaiting")
    make_draft(author, topic="Mine approved", status="approved")
    make_draft(other_author, topic="Not mine")
    html = client_for(author).get(LIST).content.decode()
    assert "Mine awaiting" in html and "Mine approved" in html and "Not mine" not in html
    assert '<span class="badge s-awaiting_review">Awaiting review</span>' in html
    assert '<span class="badge s-approved">Approved</span>' in html
    assert f'href="/drafts/{mine.pk}/"' in html


def test_my_drafts_status_filter(author):
    make_draft(author, topic="Mine awaiting")
    make_draft(author, topic="Mine approved", status="approved")
    client = client_for(author)
    html = client.get(LIST, {"status": "approved"}).content.decode()
    assert "Mine approved" in html and "Mine awaiting" not in html
    partial = client.get(LIST, {"status": "awaiting_review"}, **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    assert "Mine awaiting" in body and "Mine approved" not in body
    empty = client.get(LIST, {"status": "rejected"}).content.decode()
    assert "None of your drafts is “Rejected”." in empty
    # an unknown status is ignored, not an error
    assert client.get(LIST, {"status": "bogus"}).status_code == 200


def test_my_drafts_empty(author):
    assert "No drafts yet." in client_for(author).get(LIST).content.decode()


def test_nav_shows_counts(author, editor):
    make_draft(author)
    make_draft(author, status="generating", texts=())
    make_draft(author, status="approved")
    html = client_for(author).get(LIST).content.decode()
    assert "My drafts <span class=\"count\" title=\"in progress\">2" in html
    assert "Review queue" not in html
    queue_html = client_for(editor).get(reverse("review:queue")).content.decode()
    assert 'class="count" hx-get="/review/" hx-trigger="queue-changed from:body"' in queue_html
    assert '>1<span class="sr-only"> awaiting review' in queue_html


# ----------------------------------------------------------------- the draft page


def test_detail_shows_versions_diffs_decisions_and_history(author, editor):
    draft = make_draft(author, texts=(V1, V2), status="approved", decided_by=editor,
                       comment="Ship it <b>now</b>")
    response = client_for(author).get(draft.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 2" in html and "Version 1" in html
    assert "Changes from version 1 (+1 / −1 lines)" in html
    assert "<ins><span class=\"sr-only\">Added: </span>Twice a day the water rises and falls." \
           "</ins>" in html
    assert "<del><span class=\"sr-only\">Removed: </span>Twice a day the water rises.</del>" \
           in html
    assert "Ship it &lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html
    assert 'aria-labelledby="decisions-h"' in html and "by editor1" in html
    assert "Submitted by author1" in html and "Revised version written (version 2)" in html
    assert "<h2>Tides</h2>" in html  # the Markdown rendered, headings one level down
    assert "hx-get" not in html.split('id="live"')[1].split(">")[0]  # final: no polling
    assert ">Withdraw<" not in html
    assert "Tokens" not in html  # LLM usage is for editors and admins


def test_detail_for_an_editor_shows_usage_and_a_review_link(author, editor):
    draft = make_draft(author)
    html = client_for(editor).get(draft.get_absolute_url()).content.decode()
    assert "Tokens" in html and "offline-template" in html
    assert f'href="/review/{draft.pk}/">Review this draft</a>' in html
    assert ">Withdraw<" not in html  # only the author withdraws


def test_detail_pending_polls_and_offers_withdraw(author):
    draft = make_draft(author)
    html = client_for(author).get(draft.get_absolute_url()).content.decode()
    assert f'hx-get="/drafts/{draft.pk}/?seen=' in html and 'hx-trigger="every 5s,' in html
    assert '<button type="submit" class="secondary">Withdraw</button>' in html
    assert 'aria-live="polite"' in html


def test_detail_partial_generating_then_unchanged_then_final(author):
    draft = make_draft(author, status="generating", texts=(), progress_chars=120)
    client, url = client_for(author), draft.get_absolute_url()
    first = client.get(url, **HTMX)
    assert first.status_code == 200
    html = first.content.decode()
    assert html.lstrip().startswith('<div id="live"') and "<html" not in html
    assert "120 characters so far" in html and 'hx-trigger="every 2s,' in html
    assert '<div id="content" hx-swap-oob="true">' in html
    seen = Draft.objects.get(pk=draft.pk).live_stamp
    # nothing changed since the page's stamp: 204, htmx leaves the page alone
    same = client.get(url, {"seen": seen, "p": "120"}, **HTMX)
    assert same.status_code == 204
    # progress only: the status region, not the versions
    progress = client.get(url, {"seen": seen, "p": "100"}, **HTMX)
    assert progress.status_code == 200 and "hx-swap-oob" not in progress.content.decode()
    Draft.objects.filter(pk=draft.pk).update(status="failed", status_message="The LLM failed.")
    final = client.get(url, {"seen": seen, "p": "120"}, **HTMX)
    assert final.status_code == 286  # HttpResponseStopPolling
    body = final.content.decode()
    assert "The LLM failed." in body and "<button type=\"submit\">Retry</button>" in body


def test_detail_of_someone_elses_draft_is_404(author, other_author):
    draft = make_draft(author)
    response = client_for(other_author).get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.content.decode()
    assert client_for(other_author).get(draft.get_absolute_url(), **HTMX).status_code == 404


def test_forged_draft_id_is_404(author):
    assert client_for(author).get("/drafts/999999/").status_code == 404


# ----------------------------------------------------------------- withdraw / retry


def test_withdraw_a_final_draft_is_refused_in_words(author, editor):
    draft = make_draft(author, status="approved", decided_by=editor)
    response = client_for(author).post(reverse("drafts:withdraw", args=[draft.pk]),
                                       follow=True)
    assert "This draft is already approved; there is nothing to withdraw." in \
        response.content.decode()
    assert Draft.objects.get(pk=draft.pk).status == "approved"


def test_withdraw_by_someone_else(author, other_author, admin_user):
    draft = make_draft(author)
    url = reverse("drafts:withdraw", args=[draft.pk])
    assert client_for(other_author).post(url).status_code == 404
    response = client_for(admin_user).post(url)
    assert response.status_code == 403
    assert "Only the draft&#x27;s author can withdraw it." in response.content.decode()
    assert Draft.objects.get(pk=draft.pk).status == "awaiting_review"


def test_retry_only_a_failed_draft(author):
    draft = make_draft(author)
    response = client_for(author).post(reverse("drafts:retry", args=[draft.pk]), follow=True)
    assert "Only a failed draft can be retried." in response.content.decode()
    assert list(Draft.objects.get(pk=draft.pk).events.values_list("kind", flat=True)) == [
        "submitted", "generated"]


def test_home_sends_each_role_to_its_start(client, author, editor, admin_user,
                                           django_user_model):
    assert client.get("/").url == "/login/"
    assert client_for(author).get("/").url == "/drafts/"
    assert client_for(editor).get("/").url == "/review/"
    assert client_for(admin_user).get("/").url == "/drafts/"
    nobody = django_user_model.objects.create_user("nobody", password="pw-for-tests-1")
    response = client_for(nobody).get("/")
    assert response.status_code == 200 and "No role yet" in response.content.decode()


def test_the_brief_shows_on_the_draft_and_review_pages(author, editor):
    draft = make_draft(author, brief="Cover <neap> tides", audience="sailors", tone="plain",
                       target_words=300)
    for user, url in ((author, draft.get_absolute_url()),
                      (editor, reverse("review:draft", args=[draft.pk]))):
        html = client_for(user).get(url).content.decode()
        assert "<dd>Short (about 300 words)</dd>" in html
        assert "<dd>sailors</dd>" in html and "<dd>plain</dd>" in html
        assert "Cover &lt;neap&gt; tides" in html  # escaped, never raw HTML


@pytest.mark.django_db
def test_the_approved_text_downloads_as_markdown_and_html(author, other_author, editor):
    text = "# Tides\n\nThe moon <script>alert(1)</script> pulls the sea.\n"
    draft = make_draft(author, status=ReviewState.APPROVED.value, texts=(text,),
                       decided_by=editor)
    client = client_for(author)
    md = client.get(reverse("drafts:download", args=[draft.pk, "md"]))
    assert md.status_code == 200 and md.content.decode() == text
    assert md["Content-Type"] == "text/markdown; charset=utf-8"
    assert md["Content-Disposition"] == f'attachment; filename="draft-{draft.pk}-v1.md"'
    html = client.get(reverse("drafts:download", args=[draft.pk, "html"])).content.decode()
    assert "<title>Tides and the moon</title>" in html and "Tides</h" in html
    assert "<script>" not in html  # the same sanitised rendering as the page
    page = client.get(reverse("drafts:detail", args=[draft.pk])).content.decode()
    assert reverse("drafts:download", args=[draft.pk, "md"]) in page
    # Editors may download it too; another author, or a draft not approved, gets 404.
    assert client_for(editor).get(reverse("drafts:download", args=[draft.pk, "html"])) \
        .status_code == 200
    assert client_for(other_author).get(reverse("drafts:download", args=[draft.pk, "md"])) \
        .status_code == 404
    pending = make_draft(author)
    assert client.get(reverse("drafts:download", args=[pending.pk, "md"])).status_code == 404
    assert client.get(f"/drafts/{draft.pk}/download.pdf").status_code == 404
