"""Safe deploys: every recorded history must replay on today's workflow code.

A change to the workflow's command sequence that is not guarded by `workflow.patched` makes a
running workflow non-deterministic; this test turns that into a CI failure. docs/workflow.md
says how to record a new history.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from temporal_app import client as temporal
from temporal_app.workflows.draft_review import DraftReviewWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
EXPECTED = {"approve", "reject", "revise_then_approve", "edit_then_approve", "expire", "withdraw",
            "cancel_while_writing"}  # recorded before the notify-stop-while-writing patch


def test_every_path_has_a_recorded_history():
    assert EXPECTED <= {path.stem for path in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_history_replays_on_current_code(path: Path):
    history = WorkflowHistory.from_json(f"replay-{path.stem}", json.loads(path.read_text()))

    async def replay():
        return await Replayer(workflows=[DraftReviewWorkflow]).replay_workflow(
            history, raise_on_replay_failure=False)

    result = temporal.run(replay(), timeout=60)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def test_replayer_catches_a_changed_command_sequence():
    """The test above can fail: a history whose first activity was something else does not
    replay on the current code."""
    path = next(p for p in HISTORIES if p.stem == "approve")
    data = json.loads(path.read_text())
    for event in data["events"]:
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs:
            attrs["activityType"]["name"] = "some_removed_activity"
            break
    history = WorkflowHistory.from_json("replay-mutated", data)

    async def replay():
        return await Replayer(workflows=[DraftReviewWorkflow]).replay_workflow(
            history, raise_on_replay_failure=False)

    assert temporal.run(replay(), timeout=60).replay_failure is not None
