"""Event types: what can happen in the product, each declared once with everything that belongs to it.

An :class:`EventType` is the builder of one kind of trace entry (Saleor's ``order/events.py`` style):
calling it appends the entry to the chain. It carries the Chinese label the timeline shows, how the
timeline summarises its payload, the labels of the states it moves between, and who hears about it
(the notification audience and title). Each app declares its own event types in its ``events.py``;
declaring one registers it, so the timeline, the admin and the notification relay can look any
recorded action up by name.

Some events are announced but not traced (a reminder that a report is due): they are declared with
``traced=False`` and carry only their message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models

from .chain import Actor, TraceItem, append

if TYPE_CHECKING:
    from .models import TraceEntry


class Audience(StrEnum):
    """Who is told about an event; the notification relay turns an audience into accounts."""

    NOBODY = "nobody"
    LEAD_UNIT = "lead_unit"  # the people of the task's lead unit
    LEAD_UNIT_ADMINS = "lead_unit_admins"  # the heads (unit admins) of the task's lead unit
    RESPONSIBLE_UNITS = "responsible_units"  # the lead unit's and the cooperating units' people
    TARGET_UNITS = "target_units"  # the units an instruction is aimed at (the entry's ``target_unit_ids``)
    SHARE_UNIT = "share_unit"  # the cooperating unit whose share (分工) it is (the entry's ``unit_id``)
    OFFICE = "office"  # the supervision offices whose jurisdiction covers the task (督查室)


Summary = Callable[[Mapping[str, Any]], str]

# The payload fields people read in a timeline line, in the order they are shown.
SUMMARY_FIELDS = (
    ("reason", "理由"),
    ("comment", "意见"),
    ("requirement", "整改要求"),
    ("summary", "办结情况"),
    ("correction_answer", "整改情况"),
    ("text", "内容"),
    ("response", "回复"),
    ("level", "等级"),
    ("grade", "评价等级"),
    ("total", "总分"),
    ("requested_deadline", "申请延至"),
)


def payload_summary(payload: Mapping[str, Any]) -> str:
    """A short line from the payload fields people care about (the default summary of an event type)."""
    parts = [f"{label}：{payload[key]}" for key, label in SUMMARY_FIELDS if payload.get(key) not in (None, "")]
    if isinstance(payload.get("deadline"), list):
        parts.append(f"完成时限 {payload['deadline'][0]} → {payload['deadline'][1]}")
    if isinstance(payload.get("progress"), list):
        parts.append(f"进度 {payload['progress'][0]}% → {payload['progress'][1]}%")
    return "；".join(parts)


@dataclass(frozen=True, eq=False)
class EventType:
    action: str
    label: Any  # a lazy Chinese label
    summary: Summary = payload_summary
    states: Mapping[str, Any] = field(default_factory=dict)
    audience: Audience = Audience.NOBODY
    title: str = ""  # the notification's title; ``{task}`` is replaced by the task's code and title
    traced: bool = True

    def __post_init__(self) -> None:
        if self.action in REGISTRY:
            raise ValueError(f"event type {self.action!r} declared twice")
        if self.audience != Audience.NOBODY and not self.title:
            raise ValueError(f"event type {self.action!r} has an audience but no notification title")
        REGISTRY[self.action] = self

    def __call__(
        self,
        *,
        actor: Actor | None,
        obj: models.Model | None = None,
        task: models.Model | None = None,
        from_state: str = "",
        to_state: str = "",
        payload: dict[str, Any] | None = None,
    ) -> TraceEntry:
        """Append this event to the trace (inside the caller's transaction); ``obj`` defaults to ``task``."""
        if not self.traced:
            raise TypeError(f"{self.action!r} is announced, never traced")
        return append(
            actor=actor,
            action=self.action,
            obj=obj if obj is not None else task,
            task=task,
            from_state=from_state,
            to_state=to_state,
            payload=payload,
        )

    def item(
        self,
        *,
        obj: models.Model | None = None,
        task: models.Model | None = None,
        to_state: str = "",
        payload: dict[str, Any] | None = None,
    ) -> TraceItem:
        """One entry of a bulk append (``trail.chain.append_many``)."""
        if not self.traced:
            raise TypeError(f"{self.action!r} is announced, never traced")
        return TraceItem(
            action=self.action, obj=obj if obj is not None else task, task=task, to_state=to_state, payload=payload
        )

    def state_label(self, state: str) -> str:
        """The Chinese name of a state this event moves from or to (the code itself if unknown)."""
        return str(self.states.get(state, state)) if state else ""

    def summarise(self, payload: Mapping[str, Any]) -> str:
        return self.summary(payload)

    @property
    def notifies(self) -> bool:
        return self.audience != Audience.NOBODY


REGISTRY: dict[str, EventType] = {}


def event_type(action: str) -> EventType | None:
    """The declared event type of ``action`` (None for an action no app declares any more)."""
    return REGISTRY.get(action)


def label_of(action: str) -> str:
    declared = REGISTRY.get(action)
    return str(declared.label) if declared is not None else action


def notifying_actions() -> list[str]:
    """Traced actions somebody is told about: what the notification relay reads from the trace."""
    return sorted(a for a, e in REGISTRY.items() if e.traced and e.notifies)
