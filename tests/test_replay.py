"""Safe deploys: every recorded history must replay on today's workflow code.

`tests/histories/v1/` holds runs of the workflow type released before the local-writes core
(`DraftReviewWorkflow`, frozen in workflows/draft_review_v1.py); they must keep replaying until
no such run is open. `tests/histories/*.json` holds runs of today's `DraftReview` type. A
change to either command sequence that is not guarded by `workflow.patched` makes a running
workflow non-deterministic; this test turns that into a CI failure. docs/workflow.md says how
to record a new history.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from temporal_app import gateway
from temporal_app.converter import DATA_CONVERTER
from temporal_app.worker import sandbox_runner
from temporal_app.workflows.draft_review import DraftReviewWorkflow
from temporal_app.workflows.draft_review_v1 import DraftReviewWorkflowV1
from temporal_app.workflows.outbox import MailOutboxWorkflow
from temporal_app.workflows.publish_draft import PublishDraftWorkflow

ROOT = Path(__file__).parent / "histories"
HISTORIES = sorted(ROOT.glob("*.json")) + sorted((ROOT / "v1").glob("*.json"))
PATHS = {"approve", "reject", "revise_then_approve", "edit_then_approve", "expire", "withdraw",
         "cancel_while_writing"}
# Publishing: an approval that starts its PublishDraft child, and PublishDraft runs.
PUBLISH_PATHS = {"approve_publish", "publish_delivered", "publish_failed"}
# Review policies: a 2-step chain with a 2-of-3 quorum (racing approvals), request changes in
# the middle of the chain, an outside approver deciding through their link.
POLICY_PATHS = {"policy_quorum", "policy_changes_mid_chain", "policy_outside_approver"}
# The editor's workbench: a request for changes on three commented passages (three parallel
# revise_passage activities behind the targeted-revision patch).
WORKBENCH_PATHS = {"targeted_revision", "accepted_changes", "suggested_rewrite",
                   "stop_and_keep", "stop_revision_discard", "checks_auto_round",
                   "escalation_add_deciders"}
WORKFLOWS = [DraftReviewWorkflow, DraftReviewWorkflowV1, MailOutboxWorkflow,
             PublishDraftWorkflow]


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}" if path.parent != ROOT else path.stem


def replay(data: dict, name: str):
    history = WorkflowHistory.from_json(f"replay-{name}", data)

    async def go():
        # The worker's own sandbox (its pass-through modules), so a replay here is what a
        # worker does when it rebuilds a run that left its cache.
        return await Replayer(workflows=WORKFLOWS, workflow_runner=sandbox_runner(),
                              data_converter=DATA_CONVERTER
                              ).replay_workflow(history, raise_on_replay_failure=False)

    return gateway.run(go(), timeout=60)


def test_every_path_has_a_recorded_history():
    recorded = {p.stem for p in ROOT.glob("*.json")}
    assert PATHS | PUBLISH_PATHS | POLICY_PATHS | WORKBENCH_PATHS <= recorded, "today's types"
    # v1 cancel_while_writing was recorded before the notify-stop-while-writing patch.
    assert PATHS <= {p.stem for p in (ROOT / "v1").glob("*.json")}, "the v1 type"


def test_a_long_outage_is_recorded_before_and_after_its_write_was_flagged():
    """write_outage.json went on as a regular activity before the write-retries-flagged patch;
    write_outage_flagged.json after it (WriteRetrying set, then unset): both must replay."""
    before = (ROOT / "write_outage.json").read_text()
    after = (ROOT / "write_outage_flagged.json").read_text()
    assert "WriteRetrying" not in before
    assert after.count("WriteRetrying") == 2, "set, then unset"


@pytest.mark.parametrize("path", HISTORIES, ids=[_name(p) for p in HISTORIES])
def test_history_replays_on_current_code(path: Path):
    result = replay(json.loads(path.read_text()), _name(path))
    assert result.replay_failure is None, f"{_name(path)}: {result.replay_failure}"


@pytest.mark.parametrize("folder", [ROOT, ROOT / "v1"], ids=["current", "v1"])
def test_replayer_catches_a_changed_command_sequence(folder: Path):
    """The test above can fail: a history whose first activity was something else does not
    replay on the current code."""
    data = json.loads((folder / "approve.json").read_text())
    for event in data["events"]:
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs:
            attrs["activityType"]["name"] = "some_removed_activity"
            break
    else:
        raise AssertionError("no activity in the history")
    assert replay(data, "mutated").replay_failure is not None
