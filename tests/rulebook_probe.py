"""A workflow for tests/test_rulebook_imports.py: it imports rulebook modules at module level,
outside `imports_passed_through`, as a careless workflow module might. Loaded in the sandbox
for each run: only the worker's passthrough of the whole `rulebook` package keeps those
modules from being executed again there. Imports only temporalio and the rulebook."""

from __future__ import annotations

from temporalio import workflow

import rulebook.claims  # noqa: F401
from rulebook import bulk  # noqa: F401
from rulebook.urgency import Priority

PROBE_TYPE = "RulebookProbe"


@workflow.defn(name=PROBE_TYPE)
class RulebookProbeWorkflow:
    @workflow.run
    async def run(self) -> None:
        assert Priority.HIGH.label == "High"
