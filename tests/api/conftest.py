from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.services import token_issue
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.workflow_helpers import drive


def token_client(user) -> APIClient:
    """An API client authenticated the way integrations are: ``Authorization: Token <key>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    return client


@pytest.fixture
def api(office_user, leader_user, auditor_user, dsj_admin, dsj_handler, jxj_handler):
    """Token clients by role name."""
    users = {
        "office": office_user,
        "leader": leader_user,
        "auditor": auditor_user,
        "dsj_admin": dsj_admin,
        "dsj_handler": dsj_handler,
        "jxj_handler": jxj_handler,
    }
    return {name: token_client(user) for name, user in users.items()}


@pytest.fixture
def major(dsj):
    return make_task("1", lead_unit=dsj, title="一体化智能化公共数据平台")


@pytest.fixture
def item(major, dsj, jxj, office_user, dsj_handler):
    """An item in progress led by 市大数据局 with 市经信局 cooperating."""
    task = make_task(
        "1.1",
        lead_unit=dsj,
        title="公共数据归集",
        cooperating_units=(jxj,),
        start_date=date.today() - timedelta(days=30),
        deadline=date.today() + timedelta(days=30),
    )
    return drive(task, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)


@pytest.fixture
def foreign(city, office_user, dsj_handler):
    """An in-progress task led by another unit (市公安局) that 市大数据局 neither leads nor cooperates on."""
    from tests.factories import Role, make_unit, make_user

    police = make_unit("市公安局", parent=city)
    handler = make_user(Role.UNIT_HANDLER, unit=police, username="police_handler")
    task = make_task("2", lead_unit=police, title="智慧警务", domain_code="digital_law")
    return drive(task, Status.IN_PROGRESS, office=office_user, unit_user=handler)


def assert_error(response, status: int, code: str, message: str | None = None) -> dict:
    """The response is an error in the one API shape with the given status, code and (if given) message."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    assert body["code"] == code, body
    assert isinstance(body["fields"], dict)
    if message is not None:
        assert body["message"] == message, body
    return body
