"""Defects found live (issue 11) that the core redesign fixes, each over the real path:
a NUL byte in a withdrawal no longer jams a review, a web process that cannot reach Temporal
answers 503 with a sentence, two identical submits at once give one draft and no error, and
an over-long edit gets one sentence. (The fault suite itself is issue 11's.)"""

from __future__ import annotations

import re
import threading
import uuid
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connections
from django.urls import reverse

from config.middleware import MAYBE_SAVED, DatabaseUnavailableMiddleware
from drafts import services
from drafts.models import Draft
from rulebook import inputs
from rulebook.states import DecisionKind, EventKind, ReviewState
from temporal_app import devserver, errors, gateway
from temporal_app.types import DecisionInput
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result
from tests.test_reconcile import reconcile
from tests.test_web_common import (
    HTMX,
    client_for,
    fast_password_hasher,  # noqa: F401 (autouse)
    make_draft,
    snapshot,
)


@pytest.mark.django_db(transaction=True)
def test_a_nul_byte_in_a_withdrawal_is_refused_and_the_review_goes_on(live_worker, author,
                                                                       editor):
    draft, _ = services.submit_draft(author=author, topic="NUL")
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    client = client_for(author)
    response = client.post(reverse("drafts:withdraw", args=[draft.pk]),
                           {"comment": "bye\x00now"}, follow=True)
    assert "contains a NUL character (U+0000), which cannot be stored" in \
        response.content.decode()
    assert Draft.objects.get(pk=draft.pk).status == ReviewState.AWAITING_REVIEW
    assert gateway.query_status(draft.pk).decisions == []  # nothing reached the workflow
    # The review is not jammed: a proper withdrawal goes through at once.
    client.post(reverse("drafts:withdraw", args=[draft.pk]), {"comment": "bye now"})
    assert Draft.objects.get(pk=draft.pk).status == ReviewState.WITHDRAWN


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_temporal_unreachable_on_first_connect_is_a_503_sentence(settings, author, editor,
                                                                htmx):
    draft = make_draft(author)
    before = snapshot(draft)
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # nothing listens
    gateway.reset_client()
    try:
        response = client_for(editor).post(
            reverse("review:decide", args=[draft.pk]), {"decision": "approve", "version": 1},
            **(HTMX if htmx else {}))
    finally:
        gateway.reset_client()
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    assert "Nothing was recorded" in response.content.decode()
    assert snapshot(draft) == before


@pytest.mark.django_db(transaction=True)
def test_two_identical_submits_at_once_give_one_draft(settings, author):
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # the start may fail
    gateway.reset_client()
    key = uuid.uuid4()
    results, errors_ = [], []
    barrier = threading.Barrier(2)

    def submit():
        try:
            barrier.wait()
            results.append(services.submit_draft(author=author, topic="Twice",
                                                 submission_key=key))
        except Exception as err:  # noqa: BLE001 - the test reports any
            errors_.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gateway.reset_client()
    assert errors_ == []
    assert {draft.pk for draft, _ in results} == {Draft.objects.get(submission_key=key).pk}
    assert sorted(created for _, created in results) == [False, True]


def test_an_over_long_edit_gets_one_sentence():
    from review.forms import DecisionForm

    form = DecisionForm({"decision": "approve_with_edits", "version": 1,
                         "text": "x" * (inputs.TEXT_MAX + 5)})
    assert not form.is_valid()
    assert form.errors["text"] == [
        "The edited text is too long: at most 100,000 characters (it has 100,005)."]


@pytest.mark.django_db
def test_a_request_too_large_gets_a_sentence_not_bare_bad_request(settings, author, editor):
    settings.DEBUG = False
    draft = make_draft(author)
    response = client_for(editor).post(
        reverse("review:decide", args=[draft.pk]),
        {"decision": "approve_with_edits", "version": 1, "text": "x" * 3_600_000})
    assert response.status_code == 400
    body = response.content.decode()
    assert "could not be read" in body and "at most 2.5 MB" in body
    assert "nothing was saved" in body


@pytest.mark.django_db(transaction=True)
def test_admin_cancel_of_a_draft_that_does_not_exist_is_404(live_worker, admin_user):
    response = client_for(admin_user).post(reverse("review:pending_action",
                                                   args=[987654, "cancel"]),
                                           {"reason": "typo in the id"})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_admin_details_without_a_worker_say_temporal_is_up(task_queue, author, admin_user):
    """A review whose worker is gone: the page says no worker answered, not that Temporal
    could not be reached."""
    draft = Draft.objects.create(author=author, topic="Orphan")
    gateway.start_review(services.review_input(draft, first_version=1, first_event_seq=2))
    response = client_for(admin_user).get(reverse("review:pending_details", args=[draft.pk]))
    assert response.status_code == 503
    body = response.content.decode()
    assert "Temporal is up, but no review worker answered" in body
    assert "could not be reached" not in body


@pytest.mark.django_db
def test_the_filebased_mail_backend_writes_where_email_file_path_says(settings, tmp_path,
                                                                      author, editor):
    from drafts import projection
    from drafts.outbox import send_due
    from rulebook.states import EventKind

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    draft = Draft.objects.create(author=author, topic="Filed")
    projection.record(draft, EventKind.SUBMITTED)
    projection.record(draft, EventKind.GENERATED, notify=True)
    assert send_due() == (1, 0)
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "awaits your review: Filed" in written


# ------------------------------------------------------------------ PostgreSQL unreachable


@contextmanager
def database_unreachable():
    """Point this thread's connection at a port where no PostgreSQL listens (a real refused
    connection from psycopg), then back."""
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(HOST="127.0.0.1", PORT=str(devserver.free_port()))
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_postgresql_down_is_a_plain_503_for_pages_and_fragments_and_heals(author, editor):
    draft = make_draft(author)
    editor_client, author_client = client_for(editor), client_for(author)
    with database_unreachable():
        page = editor_client.get(reverse("review:queue"))
        fragment = editor_client.get(reverse("review:draft", args=[draft.pk]), **HTMX)
        submit = author_client.post(reverse("drafts:new"), {"topic": "Tides"})
    assert page.status_code == 503 and page["Retry-After"] == "5"
    body = page.content.decode()
    assert "The database is unavailable" in body and "Nothing was saved." in body
    assert "Traceback" not in body and "SECRET_KEY" not in body  # no debug page
    # A fragment goes to the page's status line, so the panel (and what was typed) stays.
    assert fragment.status_code == 503
    assert (fragment["HX-Retarget"], fragment["HX-Reswap"]) == ("#site-status", "innerHTML")
    assert "<html" not in fragment.content.decode()
    assert 'role="alert"' in fragment.content.decode()
    assert submit.status_code == 503 and "Nothing was saved." in submit.content.decode()
    assert Draft.objects.count() == 1
    # Back up: the next request is served as usual, with no step of its own.
    assert editor_client.get(reverse("review:queue")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_503_after_a_write_does_not_claim_nothing_was_saved(rf, author):
    """A write that reached the database before the failure changes the sentence."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    def view(request):
        Draft.objects.filter(pk=make_draft(author).pk).update(topic="written")
        return middleware.process_exception(request, OperationalError("server closed"))

    middleware.get_response = view
    response = middleware(rf.post("/drafts/new/"))
    assert response.status_code == 503
    assert MAYBE_SAVED in response.content.decode()
    assert "Nothing was saved" not in response.content.decode()


# ------------------------------------------------------------------ one line, no controls


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "sentence"), [
    ("topic", "Evil\r\nBcc: victim@example.com", "The topic must be one line"),
    ("tone", "calm\x1b[2J", "The tone contains a control character (U+001B)"),
])
def test_a_hand_made_submit_with_line_breaks_or_controls_writes_nothing(author, field, value,
                                                                       sentence):
    data = {"topic": "Tides", "target_words": inputs.DEFAULT_LENGTH, field: value}
    response = client_for(author).post(reverse("drafts:new"), data)
    assert response.status_code == 200  # the form again, with the error at the field
    assert sentence in response.content.decode()
    assert not Draft.objects.exists()
    # The service asks the same rulebook, for callers without the form (the API to come).
    with pytest.raises(errors.InvalidBrief, match=re.escape(sentence)):
        services.submit_draft(author=author, **{"topic": "Tides", field: value})
    assert not Draft.objects.exists()


# ------------------------------------------------------------------ writes that fail


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["update", "signal"])
def test_a_write_the_database_refuses_for_good_ends_the_review_failed_saying_why(
        live_worker, author, how):
    """A forged actor id (as a CLI caller could send) passes every rule the workflow knows,
    then breaks a foreign key: before, the run failed and the draft said "awaiting review"
    for good; now the review ends failed with the database's reason, and nothing of the
    decision is stored."""
    draft, _ = services.submit_draft(author=author, topic="Forged")
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    forged = DecisionInput(actor_id=987654, actor="ghost", version=1)
    if how == "update":
        with pytest.raises(errors.DecisionRefused) as refused:
            gateway.decide(draft.pk, DecisionKind.APPROVE, forged)
        assert str(refused.value).startswith("Could not record this step (approved): the "
                                              "database refused it (")
    else:
        gateway.signal_decision(draft.pk, DecisionKind.APPROVE, forged)
    draft = wait_for_status(draft, ReviewState.FAILED)
    last = draft.events.order_by("-seq").first()
    assert last.kind == EventKind.FAILED
    assert "violates foreign key constraint" in last.comment
    assert "author can retry" in last.comment
    assert not draft.events.filter(kind=EventKind.APPROVED).exists()
    assert gateway.review_truths([draft.pk])[draft.pk].result.state == ReviewState.FAILED
    save_history(draft.pk, f"write_refused_{how}")


@pytest.mark.django_db(transaction=True)
def test_a_long_outage_goes_on_as_a_visible_activity_that_reconcile_reports_then_heals(
        settings, live_worker, author, editor):
    settings.DB_LOCAL_ATTEMPTS = 2
    settings.DB_ACTIVITY_MAX_ATTEMPTS = 0  # until it works, as in production
    draft, _ = services.submit_draft(author=author, topic="Outage")
    draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW)
    with connections["default"].cursor() as cursor:
        # Every event insert is refused as while a server starts up (SQLSTATE 57P03).
        cursor.execute("""
            CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the database system is starting up' USING ERRCODE = '57P03';
            END $$;
            CREATE TRIGGER refuse_events BEFORE INSERT ON drafts_draftevent
            FOR EACH ROW EXECUTE FUNCTION refuse_events();""")
    try:
        gateway.signal_decision(draft.pk, DecisionKind.APPROVE,
                                DecisionInput(actor_id=editor.pk, actor="editor", version=1))

        def reported():
            code, output = reconcile("--retry-threshold", "1")
            return output if code == 1 and "[retrying]" in output else None

        output = wait_for(reported, timeout=30)
        assert "its workflow's activity project is on attempt" in output
        assert "the database system is starting up" in output
        assert Draft.objects.get(pk=draft.pk).status == ReviewState.AWAITING_REVIEW
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_events ON drafts_draftevent; "
                           "DROP FUNCTION refuse_events();")
    wait_for_status(draft, ReviewState.APPROVED, timeout=60)  # healed by itself
    assert reconcile("--retry-threshold", "1")[0] == 0
    workflow_result(draft.pk)
    save_history(draft.pk, "write_outage_flagged")  # write_outage.json: before the flag


# ------------------------------------------------------------------ drafts in flight


@pytest.mark.django_db(transaction=True)
def test_an_author_at_the_cap_of_drafts_in_progress_is_refused_and_nothing_is_written(
        settings, task_queue, author, other_author):
    settings.MAX_DRAFTS_IN_FLIGHT = 2  # reviews start; no worker runs them: they stay pending
    make_draft(author)
    make_draft(author, status=ReviewState.APPROVED.value)  # decided: does not count
    # Two different topics at the same instant with one place left: exactly one goes in.
    results, refused = [], []
    barrier = threading.Barrier(2)

    def submit(topic):
        try:
            barrier.wait()
            results.append(services.submit_draft(author=author, topic=topic,
                                                 submission_key=uuid.uuid4()))
        except errors.Refused as err:
            refused.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(t,)) for t in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(results), len(refused)) == (1, 1)
    assert refused[0].code == "TooManyInFlight"
    before = Draft.objects.count()
    response = client_for(author).post(reverse("drafts:new"), {
        "topic": "Three", "target_words": inputs.DEFAULT_LENGTH})
    assert response.status_code == 200
    assert "Nothing was submitted. You have 2 drafts in progress, the most an author may " \
           "have at once." in response.content.decode()
    assert Draft.objects.count() == before
    # Another author is not affected.
    services.submit_draft(author=other_author, topic="Mine")
