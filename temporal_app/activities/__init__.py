"""Activities: the only code that calls the LLM, writes a draft's review state (through
drafts/projection.py), sends mail or delivers approved drafts (webhooks).

Import this package only after django.setup() (the worker does): it imports Django models.
"""


def llm_activities() -> list:
    from temporal_app.activities.checks import judge_draft
    from temporal_app.activities.drafting import (
        generate_draft,
        outline_draft,
        revise_passage,
        write_section,
    )

    return [generate_draft, outline_draft, write_section, revise_passage, judge_draft]


def all_activities() -> list:
    from temporal_app.activities.checks import check_links, run_checks
    from temporal_app.activities.outbox import drain_outbox
    from temporal_app.activities.publishing import deliver, give_up_delivery, plan_deliveries
    from temporal_app.activities.records import (
        notify,
        project,
        read_streamed,
        record_event,
        store_version,
    )

    return [*llm_activities(), project, read_streamed, run_checks, check_links, drain_outbox,
            plan_deliveries, deliver, give_up_delivery, store_version, record_event, notify]
