"""The data converter (temporal_app/converter.py): the same payloads as Temporal's default,
decoded to the same values, with each dataclass's field types resolved once."""

from __future__ import annotations

import dataclasses
import gc
import inspect
import typing
from datetime import UTC, datetime

import pytest
from temporalio.converter import DataConverter, _payload_converter

from rulebook.policies import ReviewPolicy, ReviewStep
from rulebook.states import EventKind, ReviewState, VersionKind
from temporal_app import converter, types
from temporal_app.converter import DATA_CONVERTER
from temporal_app.types import DraftBrief, EventRecord, ReviewInput, VersionRecord

DEFAULT = DataConverter.default.payload_converter
OURS = DATA_CONVERTER.payload_converter


def review_input() -> ReviewInput:
    return ReviewInput(
        draft_id=7, author_id=3, brief=DraftBrief(topic="Tides", brief="Why", target_words=900),
        review_policy=ReviewPolicy(name="Legal", steps=[
            ReviewStep(name="Editor", group="Editors"),
            ReviewStep(name="Legal", group="Legal", required=2, outside=["a@example.com"])]),
        due_at=datetime(2026, 12, 24, 9, 0, tzinfo=UTC))


def test_every_payload_type_reads_back_the_same_as_with_the_default_converter():
    samples = [review_input(),
               EventRecord(seq=3, kind=EventKind.GENERATED.value,
                           state=ReviewState.AWAITING_REVIEW.value, version=1,
                           deadline=datetime(2026, 12, 8, tzinfo=UTC)),
               VersionRecord(number=1, kind=VersionKind.GENERATED.value, text="# T\n\nBody.\n")]
    for value in samples:
        ours, = OURS.to_payloads([value])
        theirs, = DEFAULT.to_payloads([value])
        assert ours.SerializeToString() == theirs.SerializeToString()  # same bytes on the wire
        assert OURS.from_payloads([ours], [type(value)]) == [value] == \
            DEFAULT.from_payloads([theirs], [type(value)])


def test_every_dataclass_in_the_types_module_decodes_as_the_default_does():
    """Built from its own defaults where it has them: each type the workflows exchange."""
    checked = 0
    for _, cls in inspect.getmembers(types, dataclasses.is_dataclass):
        try:
            value = cls()
        except TypeError:
            continue  # required fields: covered by the samples above
        payload, = DEFAULT.to_payloads([value])
        assert OURS.from_payloads([payload], [cls]) == DEFAULT.from_payloads([payload], [cls])
        checked += 1
    assert checked >= 3


def test_unknown_keys_are_ignored_and_a_missing_field_fails_as_before():
    payload, = DEFAULT.to_payloads([{"seq": 1, "kind": EventKind.GENERATED.value,
                                     "state": ReviewState.GENERATING.value,
                                     "from_the_future": 1}])
    assert OURS.from_payloads([payload], [EventRecord])[0].seq == 1
    missing, = DEFAULT.to_payloads([{"kind": EventKind.GENERATED.value}])
    for conv in (OURS, DEFAULT):
        with pytest.raises(Exception):  # noqa: B017 - the constructor's TypeError, wrapped
            conv.from_payloads([missing], [EventRecord])


def test_field_types_are_resolved_once_per_class(monkeypatch):
    """The default converter resolved every dataclass's hints on every payload (a review
    input: its brief, policy, steps...): 6.5% of the worker's CPU per review in the bench."""
    payload, = OURS.to_payloads([review_input()])
    OURS.from_payloads([payload], [ReviewInput])  # warm
    calls = []
    real = typing.get_type_hints
    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(typing, "get_type_hints", counted)
    monkeypatch.setattr(_payload_converter, "get_type_hints", counted)  # its own name for it
    for _ in range(3):
        OURS.from_payloads([payload], [ReviewInput])
    assert calls == []


def test_a_class_made_anew_each_run_is_not_kept_alive():
    """A dataclass defined in a sandboxed workflow module is a new class in every run."""
    def make():
        @dataclasses.dataclass
        class Fresh:
            n: int
        return Fresh

    cls = make()
    payload, = OURS.to_payloads([cls(1)])
    assert OURS.from_payloads([payload], [cls])[0].n == 1
    assert cls in converter._shapes
    before = len(converter._shapes)
    del cls
    gc.collect()
    assert len(converter._shapes) == before - 1
