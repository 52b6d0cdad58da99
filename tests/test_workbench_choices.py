"""Changes accepted one by one, on the real stack (Temporal dev server, worker, PostgreSQL):
after a targeted revision the editor accepts two changes and rejects one; the new version,
"edited by <editor> from suggestions", differs from the first only in the two accepted
passages, the review goes on, and the editor approves it. "Suggest a rewrite" asks the LLM
for one comment's passage outside a review round; accepting it puts it in."""

from __future__ import annotations

import pytest

from drafts import comments, selectors
from drafts.models import Comment, DraftEvent, PassageChange
from review import services as review
from rulebook import passages, suggestions
from temporal_app import errors
from temporal_app.types import REVISE_PASSAGE
from tests.conftest import save_history, wait_for_status, workflow_result
from tests.test_targeted_revision import (
    gateway_history,
    sentences_in_prose,
    submit,
    version,
    wait_for_version,
)
from tests.test_web_common import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def revised_three(author, editor):
    """A draft at version 2: a targeted revision of three commented passages of version 1."""
    draft = submit(author)
    v1 = version(draft, 1).text
    threads = [comments.add(draft=draft, user=editor, version=1, body=body, start=s, end=e)
               for (s, e), body in zip(sentences_in_prose(v1, 3),
                                       ["Vague.", "Shorter.", "An example."], strict=True)]
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1)
    draft = wait_for_version(draft, 2)
    changes = list(PassageChange.objects.filter(draft=draft, version=2).order_by("start"))
    assert len(changes) == 3 and all(c.choosable for c in changes)
    return draft, v1, threads, changes


def test_accept_two_reject_one_then_approve(live_worker, author, editor, editor2):
    draft, v1, threads, (a, b, c) = revised_three(author, editor)
    v2 = version(draft, 2).text

    result = review.choose(editor=editor, draft=draft, version=2,
                           choices={a.pk: "accept", b.pk: "reject", c.pk: "accept"})
    assert result.state == "awaiting_review" and result.version == 3
    draft.refresh_from_db()
    assert (draft.status, draft.current_version) == ("awaiting_review", 3)
    v3 = version(draft, 3)
    assert (v3.kind, v3.from_suggestions, v3.created_by_id) == ("edited", True, editor.pk)
    assert v3.described == f"edited by {editor.get_username()} from suggestions"
    # The approved text differs from version 1 only in the two accepted passages.
    assert v3.text == passages.splice(v1, [(a.old_start, a.old_end, a.text),
                                           (c.old_start, c.old_end, c.text)])
    assert v3.text != v2
    for change in (a, b, c):
        change.refresh_from_db()
    assert [(x.decision, x.decided_in) for x in (a, b, c)] == [
        ("accept", 3), ("reject", 3), ("accept", 3)]
    # Each thread sits where its chosen passage now is: the rewrite, or its old text back.
    for thread, taken in ((threads[0], a.text), (threads[1], b.old_text),
                          (threads[2], c.text)):
        thread.refresh_from_db()
        assert thread.at_version == 3 and thread.state == "open"
        assert v3.text[thread.at_start:thread.at_end] == taken
    assert threads[1].found == passages.EXACT and threads[0].found == passages.REVISED
    event = DraftEvent.objects.filter(draft=draft, kind="edited").get()
    assert (event.actor_id, event.version) == (editor.pk, 3)
    assert event.comment == "From suggestions: 2 changes accepted, 1 change rejected."

    # Bound to the version read: choosing again on version 2 is refused, nothing written.
    with pytest.raises(errors.Refused, match="older version|newer version"):
        review.choose(editor=editor2, draft=draft, version=2, choices={a.pk: "reject"})
    assert version(draft, 3).text == v3.text and not draft.versions.filter(number=4).exists()

    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=3)
    assert workflow_result(draft.pk).state == "approved"
    save_history(draft.pk, "accepted_changes")
    assert list(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True)) == [
        "submitted", "generated", "changes_requested", "revised", "edited", "approved"]
    draft.refresh_from_db()
    assert draft.current_version == 3 and selectors.approved_version(draft).text == v3.text


def test_suggest_a_rewrite_then_accept_it(live_worker, author, editor):
    draft = submit(author)
    v1 = version(draft, 1).text
    (start, end), = sentences_in_prose(v1, 1)
    thread = comments.add(draft=draft, user=editor, version=1, body="Plainer words.",
                          start=start, end=end)
    general = comments.add(draft=draft, user=editor, version=1, body="Overall fine.")

    result = review.suggest(editor=editor, draft=draft, comment_id=thread.pk, version=1)
    assert result.version == 1 and "suggested" in result.message
    draft.refresh_from_db()
    assert (draft.status, draft.current_version, draft.revisions) == ("awaiting_review", 1, 0)
    suggestion = PassageChange.objects.get(draft=draft, suggested=True)
    assert suggestion.version == 1 and suggestion.requested_by_id == editor.pk
    assert suggestion.backend == "offline" and suggestion.prompt_tokens > 0  # its usage
    assert v1[suggestion.old_start:suggestion.old_end] == suggestion.old_text
    assert suggestion.text != suggestion.old_text and suggestion.choosable
    assert list(suggestion.comments.values_list("pk", flat=True)) == [thread.pk]
    assert DraftEvent.objects.filter(draft=draft, kind="suggested", actor=editor).count() == 1
    names = [e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
             for e in gateway_history(draft.pk)["events"]
             if e.get("activityTaskScheduledEventAttributes")]
    assert names == ["generate_draft", REVISE_PASSAGE]  # one call, no review round

    # A general comment has no passage to rewrite: refused, nothing asked of the LLM.
    with pytest.raises(errors.Refused, match="open comment on a passage"):
        review.suggest(editor=editor, draft=draft, comment_id=general.pk, version=1)
    # Leaving it out changes nothing: refused with the sentence.
    with pytest.raises(errors.Refused, match="leave the text as it is"):
        review.choose(editor=editor, draft=draft, version=1,
                      choices={suggestion.pk: "reject"})

    review.choose(editor=editor, draft=draft, version=1, choices={suggestion.pk: "accept"})
    draft = wait_for_status(draft, "awaiting_review")
    draft.refresh_from_db()
    assert draft.current_version == 2
    assert version(draft, 2).text == passages.splice(
        v1, [(suggestion.old_start, suggestion.old_end, suggestion.text)])
    thread.refresh_from_db()
    assert version(draft, 2).text[thread.at_start:thread.at_end] == suggestion.text
    save_history(draft.pk, "suggested_rewrite")


def test_the_review_page_offers_the_changes_and_applies_the_choices(
        live_worker, author, editor):
    draft, v1, threads, (a, b, c) = revised_three(author, editor)
    page = client_for(editor).get(f"/review/{draft.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    for change in (a, b, c):
        assert f'name="change-{change.pk}" value="accept"' in html
        assert f'name="change-{change.pk}" value="reject"' in html
    assert "Apply my choices" in html and "Accept all" in html and "Reject all" in html
    assert "Suggest a rewrite" in html  # on each open thread of the current version

    # Nothing chosen: refused with the sentence, no version made.
    refused = client_for(editor).post(f"/review/{draft.pk}/changes/", {"version": 2})
    assert refused.status_code == 409 and suggestions.NO_CHOICE in refused.content.decode()
    assert not draft.versions.filter(number=3).exists()
    # A forged choice: refused too.
    forged = client_for(editor).post(f"/review/{draft.pk}/changes/",
                                     {"version": 2, f"change-{a.pk}": "maybe"})
    assert forged.status_code == 409 and "accepted or rejected" in forged.content.decode()

    done = client_for(editor).post(f"/review/{draft.pk}/changes/",
                                   {"version": 2, "all": "reject"}, follow=True)
    assert done.status_code == 200
    assert "Edited from suggestions by" in done.content.decode()
    draft.refresh_from_db()
    assert draft.current_version == 3 and version(draft, 3).text == v1  # all rejected: v1
    assert "from suggestions" in done.content.decode()
    assert not Comment.objects.filter(draft=draft, state="outdated").exists()
    # Nothing left to choose on version 3: the form is gone.
    assert "Apply my choices" not in client_for(editor).get(
        f"/review/{draft.pk}/").content.decode()


def test_the_same_over_the_api(live_worker, author, editor, editor2):
    from django.urls import reverse

    from tests.test_api import Api, create_token, error

    draft, v1, threads, (a, b, c) = revised_three(author, editor)
    editor_api, author_api = Api(create_token(editor)), Api(create_token(author))
    changes_url = reverse("api:changes", args=[draft.pk])

    listed = author_api.get(changes_url)  # the author sees them
    assert listed.status_code == 200
    assert [(x["id"], x["suggested"], x["decision"], x["choosable"]) for x in listed.json()] \
        == [(a.pk, False, "", True), (b.pk, False, "", True), (c.pk, False, "", True)]
    assert listed.json()[0]["comments"] == [threads[0].pk]

    # Bad input: each a code and a sentence, nothing written.
    error(author_api.post(changes_url, {"version": 2, "choices": [
        {"change": a.pk, "choice": "reject"}]}), 403, "Forbidden")
    error(editor_api.post(changes_url, {"version": 2, "choices": []}), 400, "Invalid")
    error(editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": a.pk, "choice": "reject"}, {"change": a.pk, "choice": "accept"}]}),
        409, "Invalid")
    error(editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": a.pk, "choice": "maybe"}]}), 400, "Invalid")
    error(editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": 999999, "choice": "reject"}]}), 409, "StaleVersion")
    error(editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": a.pk, "choice": "accept"}]}), 409, "Invalid")  # changes nothing
    assert not draft.versions.filter(number=3).exists()

    # A suggestion on the third thread, then reject b and take the suggestion for c's thread
    # instead of c's rewrite.
    suggest_url = reverse("api:comments_suggest", args=[draft.pk, threads[2].pk])
    error(author_api.post(suggest_url, {"version": 2}), 403, "Forbidden")
    error(editor_api.post(suggest_url, {"version": 1}), 409, "StaleVersion")
    made = editor_api.post(suggest_url, {"version": 2})
    assert made.status_code == 200, made.content
    suggestion = PassageChange.objects.get(draft=draft, suggested=True)
    assert suggestion.old_text == c.text  # it rewrites the passage as version 2 has it
    error(editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": c.pk, "choice": "reject"}, {"change": suggestion.pk, "choice": "accept"}]}),
        409, "Invalid")  # both rewrite the same words
    done = editor_api.post(changes_url, {"version": 2, "choices": [
        {"change": b.pk, "choice": "reject"}, {"change": suggestion.pk, "choice": "accept"}]})
    assert done.status_code == 200, done.content
    assert done.json()["version"] == 3 and done.json()["state"] == "awaiting_review"
    assert version(draft, 3).text == passages.splice(v1, [
        (a.old_start, a.old_end, a.text), (c.old_start, c.old_end, suggestion.text)])
    c.refresh_from_db()
    assert c.decision == ""  # not chosen: its rewrite was in the text and was replaced
