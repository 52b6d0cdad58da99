"""`manage.py reconcile`: planted disagreements between the database and Temporal are found
(non-zero exit) and `--fix` repairs them from the workflow's truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from drafts import services
from drafts.models import Draft, DraftEvent
from temporal_app import errors, gateway
from tests.conftest import database_url, wait_for, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent


def submit(author, topic="Tides and the moon") -> Draft:
    draft, created = services.submit_draft(author=author, topic=topic)
    assert created
    return wait_for_status(draft, "awaiting_review")


def reconcile(*args: str) -> tuple[int, str]:
    """(exit code, output) of the command, run in-process."""
    out = StringIO()
    try:
        call_command("reconcile", "--settle", "0.2", *args, stdout=out)
    except CommandError as err:
        return err.returncode, out.getvalue() + str(err)
    return 0, out.getvalue()


def kinds(draft) -> list[str]:
    return list(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True))


def test_all_in_agreement(live_worker, author):
    submit(author)
    code, output = reconcile()
    assert code == 0, output
    assert "Checked 1 draft in a non-final state: 0 mismatches." in output


def test_missing_workflow_is_restarted(live_worker, author):
    draft = Draft.objects.create(author=author, topic="Lost workflow", status="awaiting_review")
    DraftEvent.objects.create(draft=draft, seq=1, kind="submitted", actor=author)

    code, output = reconcile()
    assert code == 1
    assert f"draft #{draft.pk} [missing]" in output and "Temporal has no workflow" in output
    assert "1 mismatch found" in output

    code, output = reconcile("--fix")
    assert code == 1 and "found and repaired" in output, output
    assert "fixed: started a new workflow (versions from 1, events from 3)" in output
    draft = wait_for_status(draft, "awaiting_review")
    assert draft.current_version == 1 and draft.deadline is not None
    assert kinds(draft) == ["submitted", "retried", "generated"]
    assert reconcile()[0] == 0


def test_terminated_workflow_is_recorded_as_failed(live_worker, author):
    draft = submit(author)

    async def terminate():
        handle = (await gateway.get_client()).get_workflow_handle(draft.workflow_id)
        await handle.terminate(reason="behind the app's back")

    gateway.run(terminate(), timeout=10)
    assert Draft.objects.get(pk=draft.pk).status == "awaiting_review"

    code, output = reconcile("--json")
    assert code == 1
    data = json.loads(output[:output.rindex("}") + 1])
    (finding,) = data["mismatches"]
    assert finding["draft_id"] == draft.pk and finding["kind"] == "closed"
    assert finding["workflow_status"] == "terminated" and finding["workflow_state"] == "failed"

    code, output = reconcile("--fix")
    assert code == 1 and "found and repaired" in output, output
    assert "fixed: recorded the outcome: failed" in output
    draft.refresh_from_db()
    assert draft.status == "failed" and draft.deadline is None
    assert "terminated in Temporal" in draft.status_message
    event = DraftEvent.objects.filter(draft=draft).last()
    assert event.kind == "failed" and event.comment.startswith("Recorded by reconcile")
    assert reconcile() == (0, "Checked 0 drafts in a non-final state: 0 mismatches.\n")


def test_state_difference_is_repaired_from_the_workflow(live_worker, author):
    draft = submit(author)
    deadline = draft.deadline
    Draft.objects.filter(pk=draft.pk).update(status="revising", deadline=None)
    events_before = kinds(draft)

    code, output = reconcile()
    assert code == 1
    assert f"draft #{draft.pk} [state_differs]" in output
    assert "revising in the database, but its running workflow says awaiting_review" in output

    code, output = reconcile("--fix")
    assert code == 1 and "found and repaired" in output, output
    assert "set the state from revising to awaiting_review (from the workflow's status query)" \
        in output
    draft.refresh_from_db()
    assert draft.status == "awaiting_review" and draft.deadline == deadline
    assert kinds(draft) == events_before  # a running workflow's event numbering is untouched


def test_waiting_drafts_that_agree_are_counted_not_read(live_worker, author, monkeypatch):
    """Before: reconcile listed every running review's row (10,000 rows: 5.4 s at best on the
    dev server, bench/waiting.py). Now drafts that wait in the state and step the database
    says are counted in batches; only a batch whose count falls short has its rows read,
    and a draft whose step differs is still found."""
    from drafts.reconcile import find_mismatches

    drafts = [submit(author, f"Counted {i}") for i in range(3)]
    wrong = drafts[2]
    read: list[list[int]] = []
    real_listed, real_described = gateway._listed, gateway.review_truths
    monkeypatch.setattr(gateway, "_listed", lambda ids: read.append(list(ids)) or
                        real_listed(ids))
    monkeypatch.setattr(gateway, "review_truths", lambda ids, **kw: read.append(list(ids)) or
                        real_described(ids, **kw))
    monkeypatch.setattr(gateway, "AGREE_BATCH", 2)

    def settled():  # visibility lags the workflows by a moment
        return find_mismatches(settle=0)[1] == []

    assert wait_for(settled, what="all three in agreement")
    read.clear()
    assert find_mismatches(settle=0) == (3, [])
    assert read == [[], []]  # nothing listed, nothing described: three counted

    # A workflow ended behind the app's back: its batch of two (AGREE_BATCH = 2, ids in
    # order) counts short and is listed, the closed run is then described; the other batch
    # stays counted.
    async def terminate():
        handle = (await gateway.get_client()).get_workflow_handle(wrong.workflow_id)
        await handle.terminate(reason="behind the app's back")

    gateway.run(terminate(), timeout=10)
    read.clear()
    checked, findings = find_mismatches(settle=0)
    assert checked == 3 and [(f.draft_id, f.kind) for f in findings] == [(wrong.pk, "closed")]
    # Listed, described, then described again to confirm (visibility lags): only its batch.
    assert read == [[wrong.pk], [wrong.pk], [wrong.pk]]


def test_commands_exit_cleanly_with_their_codes(live_worker, temporal_server, task_queue,
                                                author):
    """Run as real processes: flushed output, deliberate exit codes."""
    Draft.objects.create(author=author, topic="No workflow", status="generating")
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_server, "TEMPORAL_TASK_QUEUE": task_queue,
           "DATABASE_URL": database_url()}
    env.pop("TEST_DATABASE_NAME", None)

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    listed = manage("pending_workflows", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["task_queue"] == task_queue

    bad = manage("pending_workflows", "--older-than", "soon")
    assert bad.returncode == 2 and "must be a number of hours" in bad.stderr

    found = manage("reconcile", "--settle", "0")
    assert found.returncode == 1, found.stderr
    assert "[missing]" in found.stdout and "1 mismatch found" in found.stderr


def test_restart_with_temporal_unreachable_leaves_the_draft_failed(settings, author):
    """The repair's start is refused: the draft says why, and the repair reports it."""
    from drafts.reconcile import restart_missing
    from temporal_app import devserver

    draft = Draft.objects.create(author=author, topic="Nowhere to run", status="generating")
    DraftEvent.objects.create(draft=draft, seq=1, kind="submitted", actor=author)
    settings.TEMPORAL_ADDRESS = f"127.0.0.1:{devserver.free_port()}"  # nothing listens there
    gateway.reset_client()
    try:
        with pytest.raises(errors.EngineUnavailable, match="could not be reached"):
            restart_missing(draft.pk)
    finally:
        gateway.reset_client()
    draft.refresh_from_db()
    assert draft.status == "failed" and "could not be reached" in draft.status_message
    assert list(draft.events.values_list("kind", flat=True)) == ["submitted", "retried",
                                                                 "failed"]


def test_completed_workflow_outcome_is_recorded(live_worker, author, editor):
    """The workflow approved the draft but the row says awaiting review (a hand-edited row):
    --fix records the approval with the decider and comment from the workflow's result."""
    from review import services as review

    draft = submit(author)
    review.decide(draft_id=draft.pk, editor=editor, decision="approve", version=1,
                  comment="ship it")
    from tests.conftest import workflow_result

    workflow_result(draft.pk)
    Draft.objects.filter(pk=draft.pk).update(status="awaiting_review", decided_by=None,
                                             decision_comment="")  # the planted drift
    code, output = reconcile("--fix")
    assert code == 1  # found (and repaired): a scheduled run still alerts
    assert "fixed: recorded the outcome: approved" in output, output
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.decided_by == editor
    assert draft.decision_comment == "ship it"
    assert kinds(draft)[-1] == "approved"
    assert reconcile()[0] == 0
