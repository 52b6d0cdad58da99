"""Activities: the only code that calls the LLM or writes workflow-driven state.

Import this package only after django.setup() (the worker does): it imports Django models.
"""


def all_activities() -> list:
    from temporal_app.activities.drafting import generate_draft, outline_draft, write_section
    from temporal_app.activities.notify import notify
    from temporal_app.activities.records import record_event, store_version

    return [generate_draft, outline_draft, write_section, store_version, record_event, notify]
