"""The timeline (全程留痕) of a task: its trace entries as people read them, in the order they happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trail.events import event_type, payload_summary
from trail.selectors import task_entries

from ..models import Task


@dataclass(frozen=True)
class TimelineItem:
    seq: int
    at: datetime
    actor: str
    actor_username: str  # shown next to the name: two people may share one (or copy another's)
    action: str
    label: str
    from_state: str
    to_state: str
    summary: str
    payload: dict[str, Any]


def task_timeline_items(task: Task) -> list[TimelineItem]:
    """The task's trace as people read it: who, what, when, with Chinese labels (one query)."""
    items = []
    for e in task_entries(task.pk).select_related("actor"):
        declared = event_type(e.action)
        items.append(
            TimelineItem(
                seq=e.seq,
                at=e.created_at,
                actor=e.actor_name,
                actor_username=e.actor.username if e.actor is not None else "",
                action=e.action,
                label=str(declared.label) if declared else e.action,
                from_state=declared.state_label(e.from_state) if declared else e.from_state,
                to_state=declared.state_label(e.to_state) if declared else e.to_state,
                summary=declared.summarise(e.payload) if declared else payload_summary(e.payload),
                payload=e.payload,
            )
        )
    return items
