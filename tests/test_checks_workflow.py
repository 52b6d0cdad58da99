"""Checks before a human reads, on the real stack (issue 23 items 3 and 8): the workflow
checks every new version before an editor sees it; blocking findings send it back to the
LLM on its own (only the passages concerned), up to CHECK_MAX_AUTO_REVISIONS rounds, each a
version "revised for checks"; after that the editor decides, and approving over an open
blocker needs a reason, which goes into the history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drafts import services
from drafts.models import CheckFinding, Draft, DraftEvent, OutboxMail, PassageChange
from review import services as review
from review.models import Channel
from temporal_app import errors
from tests.conftest import save_history, wait_for, workflow_result
from tests.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / \
    "checks-press-release.toml"
DIRTY = ("# Launch day\n\nOur planner gives guaranteed results for every team. Write to "
         "press@acme-pr.example for a demo.\n\nTeams plan their week in minutes.\n\n"
         "Learn more at our site.\n")
CLEAN = {"guaranteed results": "Our planner cut planning time by a third for 40 teams.",
         "press@": "Ask your account manager for a demo."}


@pytest.fixture
def fake(settings):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.url, "test-key"
    settings.LLM_RETRY_INITIAL_INTERVAL = 0.1
    yield server
    server.stop()


@pytest.fixture
def press(db):
    return Channel.objects.create(slug="press", name="Press releases",
                                  checks_toml=EXAMPLE.read_text())


def passage_of(request) -> str:
    return request.user.split("Passage to rewrite:")[1].split("\n\n")[0]


def rewrite(request) -> Reply | None:
    """The fake LLM: DIRTY for a whole draft, each passage cleaned of what was found."""
    if "Passage to rewrite" not in request.user:
        return Reply(text=DIRTY)
    passage = passage_of(request)
    return Reply(text=next((clean for key, clean in CLEAN.items() if key in passage), passage))


def waiting(draft: Draft, version: int) -> Draft:
    return wait_for(lambda: Draft.objects.filter(pk=draft.pk, status="awaiting_review",
                                                  current_version=version).first(),
                    timeout=30, what=f"version {version} awaiting review")


def test_blocking_findings_are_revised_before_an_editor_sees_the_draft(
        live_worker, fake, press, author, editor):
    fake.responder = rewrite
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 2)

    v1, v2 = draft.versions.order_by("number")
    assert v1.text == DIRTY and v2.kind == "revised_for_checks"
    assert "guaranteed results" not in v2.text and "@" not in v2.text
    assert v2.text.startswith("# Launch day\n\n") and v2.text.endswith("Learn more at our site.\n")
    kinds = list(draft.events.values_list("kind", "version", "comment"))
    assert kinds == [
        ("submitted", 0, ""),
        ("sent_back_by_checks", 1, "Automatic round 1 of 2: sent back to the LLM for claims, "
                                   "personal_data."),
        ("revised_for_checks", 2, "")]
    assert draft.revisions == 0  # the editor's request-changes limit is untouched
    found = {(f.version, f.check_name, f.severity) for f in CheckFinding.objects.filter(
        draft=draft)}
    assert {(1, "claims", "block"), (1, "personal_data", "block")} <= found
    assert not [f for f in found if f[0] == 2 and f[2] == "block"]
    banned = CheckFinding.objects.get(draft=draft, version=1, check_name="claims")
    assert (banned.quote, v1.text[banned.start:banned.end]) == ("guaranteed results",) * 2
    assert banned.suggestion.startswith("Say what the product does")
    # Only the two sentences were rewritten (a targeted revision: changes to accept one by
    # one); the editors were mailed once, when the clean version was ready.
    assert PassageChange.objects.filter(draft=draft, version=2).count() == 2
    assert list(OutboxMail.objects.filter(draft=draft).values_list("kind", flat=True)) == [
        "revised_for_checks"]

    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=2)
    workflow_result(draft.pk)
    save_history(draft.pk, "checks_auto_round")


def test_after_the_automatic_rounds_the_editor_decides_and_a_blocker_needs_a_reason(
        live_worker, fake, press, author, editor, settings):
    # The LLM never fixes it: each passage comes back as it was.
    fake.responder = lambda r: Reply(text=passage_of(r) if "Passage to rewrite" in r.user
                                     else DIRTY)
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 3)  # v1, and two automatic rounds
    assert list(draft.events.values_list("kind", flat=True)) == [
        "submitted", "sent_back_by_checks", "sent_back_by_checks", "revised_for_checks"]
    assert CheckFinding.objects.filter(draft=draft, version=3, severity="block").count() >= 2

    with pytest.raises(errors.DecisionRefused) as refused:
        review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=3)
    assert "open blocking findings; say why you approve it anyway" in str(refused.value)
    assert refused.value.code == "OpenBlockers"
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=3,
                  comment="Legal cleared the claim; the address is the press office's.")
    approved = DraftEvent.objects.get(draft=draft, kind="approved")
    assert approved.comment == "Legal cleared the claim; the address is the press office's."


def test_an_automatic_round_the_llm_fails_sends_the_version_to_review(
        live_worker, fake, press, author, editor):
    fake.responder = lambda r: Reply(status=400, error={"message": "bad request"}) \
        if "Passage to rewrite" in r.user else Reply(text=DIRTY)
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)
    events = list(draft.events.values_list("kind", flat=True))
    assert events == ["submitted", "sent_back_by_checks", "check_round_failed"]
    assert "bad request" in draft.events.get(kind="check_round_failed").comment
    assert draft.deadline is not None
    review.decide(draft_id=draft.pk, editor=editor, decision="reject", version=1,
                  comment="Not salvageable.")


def test_an_edit_and_approval_that_brings_a_blocker_back_needs_a_reason(
        live_worker, fake, press, author, editor):
    fake.responder = rewrite
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 2)
    edited = draft.versions.get(number=2).text.replace("Teams plan",
                                                       "Guaranteed results: teams plan")
    with pytest.raises(errors.DecisionRefused) as refused:
        review.decide(draft_id=draft.pk, editor=editor, decision="approve_with_edits",
                      version=2, text=edited)
    assert "1 open blocking finding;" in str(refused.value)
    review.decide(draft_id=draft.pk, editor=editor, decision="approve_with_edits", version=2,
                  text=edited, comment="The headline claim is the client's wording.")
    assert Draft.objects.get(pk=draft.pk).status == "approved"


def test_without_checks_a_draft_goes_straight_to_review(live_worker, fake, author, settings):
    settings.CHECKS_SITE_DEFAULTS = False
    fake.default = Reply(text=DIRTY)
    draft, _ = services.submit_draft(author=author, topic="Launch day")
    draft = waiting(draft, 1)
    assert list(draft.events.values_list("kind", flat=True)) == ["submitted", "generated"]
    assert not CheckFinding.objects.filter(draft=draft).exists()


def test_the_site_defaults_check_a_draft_without_a_channel(live_worker, fake, author):
    fake.default = Reply(text="No title here. Mail me at jo@example.org.\n")
    draft, _ = services.submit_draft(author=author, topic="Launch day")
    draft = waiting(draft, 3)  # personal data blocks: two rounds, then the editor
    names = set(CheckFinding.objects.filter(draft=draft, version=3).values_list(
        "check_name", flat=True))
    assert {"personal data", "title"} <= names
    assert re.search(r"e-mail address", CheckFinding.objects.filter(
        draft=draft, version=3, check_name="personal data").first().message)


JUDGE_ANSWER = ('{"findings": [{"criterion": "No claims without a source", "quote": '
                '"Teams plan their week in minutes.", "reason": "Says how fast with no source."}]}')


def judged(answer: str = JUDGE_ANSWER):
    """The fake LLM: a clean draft, and the judge's structured answer."""
    clean = DIRTY.replace("gives guaranteed results for every team", "helps teams") \
        .replace(" Write to press@acme-pr.example for a demo.", "")

    def respond(request):
        if request.body.get("response_format"):
            return Reply(text=answer, usage=(300, 40))
        return Reply(text=clean)
    return respond


def test_a_judge_finding_is_shown_beside_its_passage_and_its_cost_counted(
        live_worker, fake, press, author, editor):
    from django.urls import reverse

    from drafts import selectors
    from tests.test_web_common import client_for

    press.judge_rubric = "No claims without a source; the tone fits a press release."
    press.save()
    fake.responder = judged()
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)
    finding = CheckFinding.objects.get(draft=draft, check_name="judge")
    version = draft.versions.get()
    assert finding.severity == "warn" and finding.quote == "Teams plan their week in minutes."
    assert version.text[finding.start:finding.end] == finding.quote
    assert finding.message == "No claims without a source: Says how fast with no source."
    judge_call = next(r for r in fake.requests if r.body.get("response_format"))
    assert judge_call.body["response_format"]["type"] == "json_schema"
    assert "No claims without a source" in judge_call.user and "Teams plan" in judge_call.user
    assert version.checks_tokens == 340
    spent, _ = selectors.spend(draft)
    assert spent.tokens == version.prompt_tokens + version.completion_tokens + 340
    page = client_for(editor).get(reverse("review:draft", args=[draft.pk])).content.decode()
    assert "<strong>judge</strong>: No claims without a source" in page
    assert "<mark>Teams plan their week in minutes.</mark>" in page


def test_a_judge_that_answers_out_of_shape_is_unavailable_never_a_pass(
        live_worker, fake, press, author, settings):
    press.judge_rubric = "No claims without a source."
    press.save()
    fake.responder = judged('{"verdict": "fine"}')
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)
    finding = CheckFinding.objects.get(draft=draft, check_name="judge")
    assert finding.message.startswith("Judge unavailable:") and finding.severity == "warn"
    asked = [r for r in fake.requests if r.body.get("response_format")]
    assert len(asked) == settings.LLM_MAX_ATTEMPTS  # retried, then given up


def test_without_an_llm_the_judge_says_it_did_not_run(live_worker, press, author, settings):
    press.judge_rubric = "No claims without a source."
    press.checks_toml = '[[checks]]\nkind = "length"\nmax_words = 5000\n'
    press.save()
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)  # the offline writer
    finding = CheckFinding.objects.get(draft=draft, check_name="judge")
    assert "Judge unavailable: the judge needs an LLM provider" in finding.message


def test_links_that_do_not_answer_are_findings_and_a_hanging_host_is_bounded(
        live_worker, fake, author):
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Site(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_HEAD(self):  # noqa: N802 - http.server's name
            if self.path == "/hang":
                time.sleep(3)
            self.send_response(200 if self.path == "/ok" else 404)
            self.end_headers()

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{site.server_address[1]}"
    Channel.objects.create(slug="links", name="Links", checks_toml=(
        '[[checks]]\nkind = "links"\nseverity = "warn"\ncheck_reachable = true\n'
        'timeout = 1\n'))
    fake.default = Reply(text=f"# Links\n\nSee [ok]({base}/ok), [gone]({base}/missing) and "
                              f"[slow]({base}/hang).\n")
    try:
        started = time.monotonic()
        draft, _ = services.submit_draft(author=author, topic="Links", channel="links")
        draft = waiting(draft, 1)
        assert time.monotonic() - started < 20
        found = {f.quote: f.message for f in CheckFinding.objects.filter(draft=draft)}
        assert found == {f"{base}/missing": f"{base}/missing did not answer: HTTP 404.",
                         f"{base}/hang": f"{base}/hang did not answer: no answer within 1 s."}
    finally:
        site.shutdown()


def test_on_make_dev_the_offline_writer_shows_an_automatic_round(live_worker, press, author):
    """docs/checks.md "Try it on make dev": the offline writer's stock opener is banned by the
    example file, so its first version goes back on its own and version 2 awaits review."""
    for topic in ("Launch of our planner", "Urban beekeeping", "Remote work"):
        draft, _ = services.submit_draft(author=author, topic=topic, channel="press")
        draft = waiting(draft, 2)
        v1, v2 = draft.versions.order_by("number")
        opener = CheckFinding.objects.get(draft=draft, version=1, check_name="stock openers")
        assert opener.blocking and opener.quote in v1.text and opener.quote not in v2.text
        assert v2.kind == "revised_for_checks" and v2.is_offline
        assert not CheckFinding.objects.filter(draft=draft, version=2, severity="block")
        assert CheckFinding.objects.filter(draft=draft, version=2, severity="warn").exists()


def test_checks_run_again_with_the_channels_checks_as_they_are_now(
        live_worker, fake, press, author, editor):
    from django.urls import reverse

    from tests.test_web_common import client_for

    fake.responder = rewrite
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 2)
    before = CheckFinding.objects.filter(draft=draft, version=2)
    warning = before.filter(severity="warn").first()
    review.dismiss_finding(editor=editor, draft=draft, finding_id=warning.pk,
                           reason="Fine for this release.")
    # The channel's checks change: the planner may not be named any more.
    press.checks_toml += ('\n[[checks]]\nkind = "banned"\nname = "product"\nseverity = '
                          '"block"\nphrases = ["planner"]\n')
    press.save()
    page = client_for(editor).post(reverse("review:recheck", args=[draft.pk]), follow=True)
    html = page.content.decode()
    assert "Checks run again on version 2: 1 blocking" in html
    after = CheckFinding.objects.filter(draft=draft, version=2)
    assert after.filter(check_name="product", severity="block").exists()
    kept = after.get(pk=warning.pk)  # found again: still dismissed, with its reason
    assert kept.dismissed and kept.dismiss_reason == "Fine for this release."
    assert draft.events.filter(kind="rechecked", actor=editor).exists()
    with pytest.raises(errors.DecisionRefused) as refused:  # the workflow knows the blocker
        review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=2)
    assert refused.value.code == "OpenBlockers"
    own = client_for(author).post(reverse("review:recheck", args=[draft.pk]))
    assert own.status_code in (302, 403)
    review.decide(draft_id=draft.pk, editor=editor, decision="reject", version=2,
                  comment="Rename the product first.")
    closed = client_for(editor).post(reverse("review:recheck", args=[draft.pk]), follow=True)
    assert "Checks run again only on a draft awaiting review" in closed.content.decode()


def test_a_judge_that_times_out_leaves_the_draft_reviewable(live_worker, fake, press, author,
                                                            settings):
    settings.LLM_START_TO_CLOSE = 1.0  # each judge attempt: at most a second
    settings.LLM_SCHEDULE_TO_CLOSE = 3.0
    settings.LLM_MAX_ATTEMPTS = 2
    press.judge_rubric = "No claims without a source."
    press.save()
    clean = judged()

    def respond(request):
        if request.body.get("response_format"):
            return Reply(text=JUDGE_ANSWER, delay=5.0)  # never in time
        return clean(request)
    fake.responder = respond
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)
    finding = CheckFinding.objects.get(draft=draft, check_name="judge")
    assert finding.message.startswith("Judge unavailable: it did not answer in time")


def test_an_automatic_round_the_budget_cannot_cover_is_left_to_the_editor(
        live_worker, fake, press, author):
    fake.default = Reply(text=DIRTY, usage=(400, 400))  # 800 tokens a version
    press.budget_tokens = 1_000  # the first version leaves 200: a round would take ~800
    press.save()
    draft, _ = services.submit_draft(author=author, topic="Launch day", channel="press")
    draft = waiting(draft, 1)
    assert list(draft.events.values_list("kind", flat=True)) == ["submitted", "generated"]
    assert CheckFinding.objects.filter(draft=draft, version=1, severity="block").exists()
