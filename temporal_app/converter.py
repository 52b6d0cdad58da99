"""The data converter every Redline client, worker and replayer uses: Temporal's default
(same encodings, same JSON on the wire, so the CLI, the UI and other SDKs read our payloads
as before), except that a dataclass's field types are resolved once per class instead of on
every payload.

Why: the default converter calls `typing.get_type_hints` for each dataclass it decodes, and
with `from __future__ import annotations` every hint is a string evaluated again each time.
Measured in `bench/run.py` under py-spy: 6.5% of the worker process's CPU per review (a
ReviewInput carries a brief and a policy with its steps), against 1.6% for the bare workflow.

Decoding follows temporalio's own dataclass rule (`value_to_type`): known fields converted by
their hints, unknown keys ignored, a missing required field fails in the constructor,
`init=False` fields set afterwards. Anything that is not a dataclass with a dict goes to the
default path unchanged.

Django-free, and passed through the workflow sandbox (worker.SANDBOX_PASSTHROUGH), so one
cache serves every run. The cache holds classes weakly: a dataclass defined inside a sandboxed
workflow module is a new class in every run and must not be kept alive by it.
"""

from __future__ import annotations

import dataclasses
import typing
import weakref
from typing import Any

import temporalio.converter as tc

_shapes: weakref.WeakKeyDictionary[type, tuple[tuple[str, Any, bool], ...]] = \
    weakref.WeakKeyDictionary()


def _shape(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, resolved hint, passed to __init__) for each field of the dataclass `cls`."""
    shape = _shapes.get(cls)
    if shape is None:
        hints = typing.get_type_hints(cls)
        shape = tuple((f.name, hints[f.name], f.init) for f in dataclasses.fields(cls))
        _shapes[cls] = shape
    return shape


class _Dataclasses(tc.JSONTypeConverter):
    def to_typed_value(self, hint: type, value: Any) -> Any:
        if not (isinstance(hint, type) and dataclasses.is_dataclass(hint)) \
                or not isinstance(value, dict):
            return self.Unhandled
        init: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for name, field_hint, in_init in _shape(hint):
            if name not in value:
                continue
            try:
                converted = tc.value_to_type(field_hint, value[name], CUSTOM)
            except Exception as err:
                raise TypeError(f"Failed converting field {name} on dataclass {hint}") from err
            (init if in_init else later)[name] = converted
        obj = hint(**init)
        for name, converted in later.items():
            object.__setattr__(obj, name, converted)
        return obj


CUSTOM: list[tc.JSONTypeConverter] = [_Dataclasses()]


class PayloadConverter(tc.CompositePayloadConverter):
    """DefaultPayloadConverter with the JSON converter using the cached dataclass shapes."""

    def __init__(self) -> None:
        super().__init__(*(
            tc.JSONPlainPayloadConverter(custom_type_converters=CUSTOM)
            if isinstance(c, tc.JSONPlainPayloadConverter) else c
            for c in tc.DefaultPayloadConverter.default_encoding_payload_converters))


DATA_CONVERTER = dataclasses.replace(tc.DataConverter.default,
                                     payload_converter_class=PayloadConverter)
