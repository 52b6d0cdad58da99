"""The targeted revision on the real stack (Temporal dev server, worker, PostgreSQL): a request
for changes with open passage comments rewrites only those passages, in parallel activities;
every character outside them is the previous version's; a passage the LLM answers badly is
retried, then reported, and the others' rewrites are kept."""

from __future__ import annotations

import re

import pytest

from drafts import comments, services
from drafts.models import Comment, Draft, DraftEvent, DraftVersion, PassageChange
from review import services as review
from rulebook import passages
from temporal_app.types import REVISE_PASSAGE
from tests.conftest import save_history, wait_for, wait_for_status, workflow_result
from tests.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.django_db(transaction=True)


def submit(author, topic="Urban beekeeping", **brief) -> Draft:
    draft, _ = services.submit_draft(author=author, topic=topic, **brief)
    return wait_for_status(draft, "awaiting_review")


def sentences_in_prose(text: str, count: int) -> list[tuple[int, int]]:
    """The first sentence of `count` prose paragraphs, as (start, end) offsets."""
    found = []
    for m in re.finditer(r"(?m)^[A-Z][^\n]*?[.!?](?= |$)", text):
        paragraph_start = m.start() == 0 or text[m.start() - 2:m.start()] == "\n\n"
        if paragraph_start and not m.group().startswith(("Offline", "In short")):
            found.append((m.start(), m.end()))
    assert len(found) >= count, text
    step = len(found) // count
    return found[::step][:count]


def version(draft: Draft, number: int) -> DraftVersion:
    return DraftVersion.objects.get(draft=draft, number=number)


def wait_for_version(draft: Draft, number: int) -> Draft:
    return wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review",
                                                  current_version=number).first(),
                    what=f"version {number}")


def test_only_the_commented_passages_are_rewritten(live_worker, author, editor, editor2):
    draft = submit(author)
    v1 = version(draft, 1).text
    spans = sentences_in_prose(v1, 3)
    asks = ["Too vague: say what this means in practice.", "Shorter, please.",
            "Give an example here."]
    threads = [comments.add(draft=draft, user=editor, version=1, body=body, start=s, end=e)
               for (s, e), body in zip(spans, asks, strict=True)]
    comments.reply(draft=draft, user=editor2, parent_id=threads[0].pk, body="Agreed.")
    general = comments.add(draft=draft, user=editor, version=1, body="Nice overall.")

    result = review.decide(draft_id=draft.pk, editor=editor, decision="request_changes",
                           version=1, comment="")
    assert result.state == "revising"
    draft = wait_for_version(draft, 2)
    v2 = version(draft, 2)
    assert v2.kind == "revised" and v2.prompt_version == "passage-v1" and v2.is_offline

    changes = list(PassageChange.objects.filter(draft=draft, version=2).order_by("start"))
    assert len(changes) == 3 and all(c.revised for c in changes)
    # Byte-identical outside the passages: v1 with each old passage swapped for its rewrite
    # is v2, character for character, and each rewrite is a real change.
    rebuilt = passages.splice(v1, [(c.old_start, c.old_end, c.text) for c in changes])
    assert rebuilt == v2.text
    for change in changes:
        assert v1[change.old_start:change.old_end] == change.old_text
        assert v2.text[change.start:change.end] == change.text != change.old_text
        assert "\n\n" not in change.text  # a passage stays within its paragraph
    between = [(0, changes[0].old_start)] + [
        (a.old_end, b.old_start) for a, b in zip(changes, changes[1:], strict=False)] + \
        [(changes[-1].old_end, len(v1))]
    assert "".join(v1[s:e] for s, e in between) == "".join(
        v2.text[s:e] for s, e in [(0, changes[0].start)] + [
            (a.end, b.start) for a, b in zip(changes, changes[1:], strict=False)] +
        [(changes[-1].end, len(v2.text))])
    # Each widened passage holds its comment's selection; the threads moved onto the rewrites.
    for thread, change in zip(threads, changes, strict=True):
        assert change.old_start <= thread.start < thread.end <= change.old_end
        assert list(change.comments.values_list("pk", flat=True)) == [thread.pk]
        thread.refresh_from_db()
        assert (thread.at_version, thread.at_start, thread.at_end, thread.found,
                thread.state) == (2, change.start, change.end, passages.REVISED, "open")
    general.refresh_from_db()
    assert general.state == "open" and general.at_version is None
    # "Shorter" dropped a sentence or kept it one: never longer than asked for.
    assert len(changes[1].text) <= len(changes[1].old_text) or \
        changes[1].old_text.count(". ") == 0

    # Three parallel passage activities, no whole-draft call.
    history = gateway_history(draft.pk)
    scheduled = [e for e in history["events"]
                 if e.get("activityTaskScheduledEventAttributes")]
    names = [e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
             for e in scheduled]
    assert names == ["generate_draft", REVISE_PASSAGE, REVISE_PASSAGE, REVISE_PASSAGE]

    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=2)
    workflow_result(draft.pk)
    save_history(draft.pk, "targeted_revision")
    assert list(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True)) == [
        "submitted", "generated", "changes_requested", "revised", "approved"]


def gateway_history(draft_id: int) -> dict:
    import json

    from temporal_app import gateway
    from temporal_app.types import workflow_id_for

    async def go():
        handle = (await gateway.get_client()).get_workflow_handle(workflow_id_for(draft_id))
        return await handle.fetch_history()

    return json.loads(gateway.run(go(), timeout=30).to_json())


def test_a_general_remark_alone_still_revises_the_whole_draft(live_worker, author, editor):
    draft = submit(author)
    comments.add(draft=draft, user=editor, version=1, body="On the whole: fine.")
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Add a section on hive placement")
    draft = wait_for_version(draft, 2)
    assert version(draft, 2).prompt_version.startswith("revise")
    assert not PassageChange.objects.filter(draft=draft).exists()


@pytest.fixture
def fake(settings):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = server.url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.LLM_RETRY_INITIAL_INTERVAL = 0.1
    settings.LLM_RETRY_MAX_INTERVAL = 0.2
    yield server
    server.stop()


DRAFT = ("# Tides\n\nThe moon pulls the sea. Twice a day the water rises and falls.\n\n"
         "Fishermen know the tides well. Boats wait in the harbour for high water.\n\n"
         "In the end, the sea keeps its own time.\n")


def test_a_bad_answer_for_one_passage_is_retried_then_reported_and_the_others_kept(
        fake, live_worker, author, editor, settings):
    fake.default = Reply(text=DRAFT)  # 12 + 34 tokens a call
    settings.LLM_BUDGET_TOKENS = 1046
    draft = submit(author, topic="Tides")
    assert version(draft, 1).text == DRAFT
    good = comments.add(draft=draft, user=editor, version=1, body="Livelier.",
                        quote="The moon pulls the sea.")
    bad = comments.add(draft=draft, user=editor, version=1, body="Say which boats.",
                       quote="Boats wait in the harbour")

    def responder(request):
        if "Passage to rewrite" not in request.user:
            return None
        if "Boats wait" in request.user.split("Passage to rewrite:")[1].split("\n\n")[0]:
            # Far longer than the passage: refused by the activity every time.
            return Reply(text="Boats " * 400)
        return Reply(text="The moon, patient and huge, pulls the sea.")

    fake.responder = responder
    review.decide(draft_id=draft.pk, editor=editor, decision="request_changes", version=1,
                  comment="Keep it short.")
    draft = wait_for_version(draft, 2)
    v2 = version(draft, 2).text
    assert v2 == DRAFT.replace("The moon pulls the sea.",
                               "The moon, patient and huge, pulls the sea.")
    changes = {c.old_text: c for c in PassageChange.objects.filter(draft=draft)}
    failed = changes["Boats wait in the harbour for high water."]  # widened to its sentence
    assert "far longer than the passage" in failed.error and failed.text == failed.old_text
    assert changes["The moon pulls the sea."].revised
    passage_calls = [r for r in fake.requests if "Passage to rewrite" in r.user]
    assert len(passage_calls) == 1 + settings.LLM_MAX_ATTEMPTS  # the bad one retried
    # The two passages share what the budget left after version 1: (1046 - 46) / 2 each.
    assert {r.body["max_tokens"] for r in passage_calls} == {500}
    assert all("Keep it short." in r.user for r in passage_calls)  # the general remark goes
    assert not any(DRAFT.strip() in r.user for r in passage_calls)  # never the whole draft
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.found == passages.REVISED and bad.found == passages.EXACT
    assert Comment.objects.filter(draft=draft).count() == 2


def test_the_review_page_requests_changes_on_commented_passages(live_worker, author, editor):
    from django.urls import reverse

    from tests.test_web_common import client_for

    draft = submit(author)
    v1 = version(draft, 1).text
    (start, end), = sentences_in_prose(v1, 1)
    page = reverse("review:draft", args=[draft.pk])
    web = client_for(editor)
    web.post(reverse("drafts:comment_add", args=[draft.pk]),
             {"version": 1, "quote": v1[start:end], "body": "Shorter, please.", "back": page})
    shown = web.get(page).content.decode()
    assert "Rewrites only the 1 commented passage;" in shown
    assert "Feedback for the writer on the whole piece (optional)" in shown
    answer = web.post(reverse("review:decide", args=[draft.pk]),
                      {"decision": "request_changes", "version": 1, "comment": ""})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    draft = wait_for_version(draft, 2)
    change = PassageChange.objects.get(draft=draft)
    shown = web.get(page).content.decode()
    assert "1 commented passage revised in version 2" in shown
    assert "Revised in version 2:" in shown  # beside its thread
    assert f"<del>{change.old_text}</del>" in shown


def test_the_api_decision_uses_the_open_passage_comments(live_worker, author, editor):
    from django.urls import reverse

    from tests.test_api import Api, create_token, error

    draft = submit(author)
    v1 = version(draft, 1).text
    (start, end), = sentences_in_prose(v1, 1)
    api = Api(create_token(editor))
    url = reverse("api:decisions", args=[draft.pk])
    error(api.post(url, {"decision": "request_changes", "version": 1}), 409, "NeedsFeedback")
    made = api.post(reverse("api:comments", args=[draft.pk]),
                    {"version": 1, "start": start, "end": end, "body": "Plainer."})
    assert made.status_code == 201, made.content
    decided = api.post(url, {"decision": "request_changes", "version": 1})
    assert decided.status_code == 200, decided.content
    draft = wait_for_version(draft, 2)
    v2 = version(draft, 2).text
    change = PassageChange.objects.get(draft=draft)
    assert v2[:change.start] == v1[:change.old_start]
    assert v2[change.end:] == v1[change.old_end:]
    listed = api.get(reverse("api:comments", args=[draft.pk])).json()
    thread = listed["results"][0] if isinstance(listed, dict) else listed[0]
    assert thread["state"] == "open"
