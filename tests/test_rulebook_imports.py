"""The rulebook stays Django-free, acyclic and loaded once per worker process:

- each rulebook module imports only the standard library and lower rulebook modules (read
  with `ast`), and importing it loads nothing else (a subprocess without site-packages);
- `rulebook/__init__.py` re-exports nothing;
- a workflow run in the sandbox does not execute any rulebook module again (the worker passes
  the whole package through: temporal_app.worker.SANDBOX_PASSTHROUGH).

Milliseconds, except the replays (well under a second each): no database, no Temporal server.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from temporal_app import gateway
from temporal_app.worker import SANDBOX_PASSTHROUGH, sandbox_runner
from temporal_app.workflows.draft_review import DraftReviewWorkflow
from temporal_app.workflows.draft_review_v1 import DraftReviewWorkflowV1
from temporal_app.workflows.outbox import MailOutboxWorkflow
from temporal_app.workflows.publish_draft import PublishDraftWorkflow
from tests.rulebook_probe import PROBE_TYPE, RulebookProbeWorkflow

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rulebook"
# Lowest first: a module imports only modules before it (rulebook/__init__.py says the same).
LAYERS = ["states", "inputs", "urgency", "policies", "passages", "comments", "revisions",
          "suggestions", "checks", "check_run", "check_file", "judge", "budgets", "snapshot",
          "steps", "decisions", "writing", "deadlines", "authors", "bulk", "claims",
          "delivery", "insights"]
HISTORIES = ROOT / "tests" / "histories"


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            if node.module == "rulebook":  # from rulebook import states
                names += [f"rulebook.{alias.name}" for alias in node.names]
            else:
                names.append(node.module)
    return names


def test_every_module_has_its_layer():
    assert sorted(LAYERS) == sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", LAYERS)
def test_a_rulebook_module_imports_only_stdlib_and_lower_rulebook_modules(module):
    below = {f"rulebook.{m}" for m in LAYERS[:LAYERS.index(module)]}
    for name in _imports(PACKAGE / f"{module}.py"):
        top = name.split(".")[0]
        if top == "rulebook":
            assert name in below, f"rulebook.{module} imports {name}, not a lower module"
        else:
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"rulebook.{module} imports {name}: the rulebook is stdlib only")


def test_the_package_re_exports_nothing():
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), \
        "rulebook/__init__.py holds its docstring only"


def test_importing_the_rulebook_loads_only_the_standard_library():
    """In a fresh interpreter without site-packages (-S): nothing but stdlib and rulebook."""
    code = ("import sys\n"
            + "".join(f"import rulebook.{m}\n" for m in LAYERS)
            + "print('\\n'.join(sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    others = [name for name in out if name.split(".")[0] not in sys.stdlib_module_names
              and name.split(".")[0] not in ("rulebook", "__main__")
              and not name.startswith("_")]
    assert "rulebook.delivery" in out and not others, others


class _Spy:
    """Notes every import of a project module that the finders are asked for (a module
    already in sys.modules, or passed through, is never looked for)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("rulebook", "temporal_app", "tests"):
            self.names.append(name)
        return None


@pytest.fixture
def spy():
    for module in LAYERS:  # the worker process has them all (its activities, services)
        importlib.import_module(f"rulebook.{module}")
    found = _Spy()
    sys.meta_path.insert(0, found)
    yield found
    sys.meta_path.remove(found)


def _replay(runner, workflows, history: dict) -> None:
    result = gateway.run(Replayer(workflows=workflows, workflow_runner=runner).replay_workflow(
        WorkflowHistory.from_json("rulebook-imports", history), raise_on_replay_failure=False),
        timeout=60)
    assert result.replay_failure is None, result.replay_failure


def _probe_history() -> dict:
    """A run of the probe that completes in its first workflow task."""
    def event(n, kind, attrs_name, attrs):
        return {"eventId": str(n), "eventTime": "2026-11-22T04:09:30Z", "eventType": kind,
                attrs_name: attrs}
    queue = {"name": "rulebook-probe", "kind": "TASK_QUEUE_KIND_NORMAL"}
    return {"events": [
        event(1, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", "workflowExecutionStartedEventAttributes",
              {"workflowType": {"name": PROBE_TYPE}, "taskQueue": queue,
               "workflowTaskTimeout": "10s", "attempt": 1}),
        event(2, "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "workflowTaskScheduledEventAttributes",
              {"taskQueue": queue, "startToCloseTimeout": "10s", "attempt": 1}),
        event(3, "EVENT_TYPE_WORKFLOW_TASK_STARTED", "workflowTaskStartedEventAttributes",
              {"scheduledEventId": "2"}),
        event(4, "EVENT_TYPE_WORKFLOW_TASK_COMPLETED", "workflowTaskCompletedEventAttributes",
              {"scheduledEventId": "2", "startedEventId": "3"}),
        event(5, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
              "workflowExecutionCompletedEventAttributes", {"workflowTaskCompletedEventId": "4"}),
    ]}


def test_the_worker_passes_the_whole_rulebook_through():
    assert "rulebook" in SANDBOX_PASSTHROUGH
    assert not [m for m in SANDBOX_PASSTHROUGH if m.startswith("rulebook.")], \
        "the package as a whole, so a new module is passed through too"


@pytest.mark.parametrize("history", ["approve", "policy_quorum", "publish_delivered",
                                     "v1/approve"])
def test_a_workflow_run_does_not_execute_the_rulebook_again(spy, history):
    _replay(sandbox_runner(), [DraftReviewWorkflow, DraftReviewWorkflowV1, MailOutboxWorkflow,
                               PublishDraftWorkflow],
            json.loads((HISTORIES / f"{history}.json").read_text()))
    assert any(name.startswith("temporal_app.workflows.") for name in spy.names), \
        "the spy sees the sandbox load the workflow's own module"
    assert not [name for name in spy.names if name.startswith("rulebook")], spy.names


def test_even_a_careless_workflow_module_shares_the_rulebook(spy):
    """The probe imports rulebook modules outside imports_passed_through: the worker's runner
    hands it the process's modules; the default runner would execute them again (which is
    what this test would catch if the passthrough went)."""
    _replay(sandbox_runner(), [RulebookProbeWorkflow], _probe_history())
    assert not [name for name in spy.names if name.startswith("rulebook")], spy.names
    _replay(SandboxedWorkflowRunner(), [RulebookProbeWorkflow], _probe_history())
    assert {"rulebook.claims", "rulebook.bulk", "rulebook.urgency"} <= set(spy.names)
