"""Events and insight data as JSON-able records, and back: what a run process sends over its control socket.

Dataclasses are written with their type name; numpy arrays as dtype, shape and base64 bytes; RunConfig as
its TOML dict. Only the types registered here are rebuilt, so nothing read from a socket can name code to run.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import numpy as np

from tui_dl.engine import events
from tui_dl.engine.insights import views
from tui_dl.engine.config import RunConfig

EVENT_TYPES = {cls.__name__: cls for cls in (events.RunStarted, events.StepMetrics, events.EpochEnded,
                                             events.StateChanged, events.LrChanged, events.InsightsReady,
                                             events.RunFinished)}
RECORD_TYPES = {
    **EVENT_TYPES,
    "EpochMetrics": events.EpochMetrics,
    "RunSnapshot": events.RunSnapshot,
    **{name: cls for name, cls in vars(views).items() if dataclasses.is_dataclass(cls) and isinstance(cls, type)},
}
ARRAY_DTYPES = {"float32", "float64", "int64", "int32", "uint8", "bool"}


class WireError(ValueError):
    """Data that is not a record this version knows."""


def encode(value: Any) -> Any:
    """`value` as JSON-able data (dataclasses of RECORD_TYPES, RunConfig, numpy arrays, containers, scalars)."""
    if isinstance(value, RunConfig):
        return {"__config__": value.to_dict()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if RECORD_TYPES.get(name) is not type(value):
            raise WireError(f"{name} is not a record type")
        return {"__type__": name, **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        return {"__array__": str(array.dtype), "shape": list(array.shape),
                "data": base64.b64encode(array.tobytes()).decode("ascii")}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WireError(f"cannot send a {type(value).__name__}")


def decode(data: Any) -> Any:
    """The inverse of `encode` (WireError for anything else)."""
    if isinstance(data, dict):
        if "__config__" in data:
            return RunConfig.from_dict(data["__config__"])
        if "__array__" in data:
            return _array(data)
        if "__type__" in data:
            cls = RECORD_TYPES.get(data["__type__"])
            if cls is None:
                raise WireError(f"unknown record type {data['__type__']!r}")
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: decode(v) for k, v in data.items() if k in known})
        return {k: decode(v) for k, v in data.items()}
    if isinstance(data, list):
        return [decode(v) for v in data]
    return data


def _array(data: dict) -> np.ndarray:
    dtype = data["__array__"]
    if dtype not in ARRAY_DTYPES:
        raise WireError(f"unexpected array type {dtype!r}")
    try:
        raw = base64.b64decode(data["data"], validate=True)
        return np.frombuffer(raw, dtype=dtype).reshape(data["shape"]).copy()
    except (ValueError, TypeError, KeyError) as exc:
        raise WireError(f"damaged array: {exc}") from None


def event_record(event: events.Event, seq: int) -> dict:
    """An event as a message: `{"event": TYPE, "seq": N, ...fields}`."""
    record = encode(event)
    return {"event": record.pop("__type__"), "seq": seq, **record}


def event_from_record(record: dict) -> tuple[int, events.Event]:
    """(seq, event) from `event_record`'s output."""
    name = record.get("event")
    if name not in EVENT_TYPES:
        raise WireError(f"unknown event {name!r}")
    fields = {k: v for k, v in record.items() if k not in ("event", "seq")}
    try:
        return int(record.get("seq", 0)), decode({"__type__": name, **fields})
    except TypeError as exc:
        raise WireError(f"bad {name}: {exc}") from None
