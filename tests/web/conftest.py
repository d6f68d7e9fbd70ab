from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_task


@pytest.fixture
def item(dsj, jxj):
    """A drafted item led by 市大数据局 with 市经信局 cooperating, under a major task."""
    make_task("1", lead_unit=dsj, title="一体化智能化公共数据平台")
    return make_task(
        "1.1",
        lead_unit=dsj,
        title="公共数据归集",
        cooperating_units=(jxj,),
        start_date=date.today() - timedelta(days=30),
        deadline=date.today() + timedelta(days=30),
    )


def body(response) -> str:
    return response.content.decode()


def action_url(task, key: str, obj=None) -> str:
    return f"/tasks/{task.pk}/do/{key}/" + (f"{obj.pk}/" if obj is not None else "")
