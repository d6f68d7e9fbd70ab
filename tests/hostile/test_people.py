"""Who is who: out-of-scope children are redacted on their parent's page, API and dossier; usernames that look
like others are refused; the timeline shows the username; the lockout also counts a username's failures from
every address."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import services as account_services
from reform.errors import ValidationError
from reform.roles import Role
from tasks_app.models import Rag, Task
from tasks_app.workflow import Status
from tests.factories import make_task, make_unit, make_user
from tests.tasks_app.workflow_helpers import drive

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Strong-2026!"
SECRET_TITLE = "公安专网对接（涉密）"


@pytest.fixture
def family(city, dsj, office_user, dsj_handler):
    """A parent led by 市大数据局 with one child of its own and one led by 市公安局 (red, with a reason)."""
    police = make_unit("市公安局", parent=city)
    parent = make_task("7", lead_unit=dsj, title="数据共享")
    own = make_task("7.1", lead_unit=dsj, title="本局归集")
    foreign = make_task("7.2", lead_unit=police, title=SECRET_TITLE)
    Task.objects.filter(pk=foreign.pk).update(rag=Rag.RED, rag_reason="已逾期 9 天", progress=40)
    Task.objects.filter(pk=parent.pk).update(rag=Rag.RED, rag_reason=f"下级事项 7.2“{SECRET_TITLE}”：已逾期 9 天")
    return parent, own, foreign


def test_the_parent_page_redacts_a_child_the_unit_may_not_see(family, dsj_handler, office_user):
    parent, own, foreign = family
    unit = Client()
    unit.force_login(dsj_handler)

    html = unit.get(f"/tasks/{parent.pk}/").content.decode()

    assert SECRET_TITLE not in html and "已逾期 9 天" not in html and "市公安局" not in html
    assert "7.2" in html and "其他单位负责的事项" in html and "本局归集" in html
    assert unit.get(f"/tasks/{foreign.pk}/").status_code == 404
    office = Client()
    office.force_login(office_user)
    assert SECRET_TITLE in office.get(f"/tasks/{parent.pk}/").content.decode()


def test_the_parent_api_redacts_a_child_the_unit_may_not_see(family, dsj_handler):
    parent, own, foreign = family
    client = APIClient()
    client.force_authenticate(dsj_handler)

    data = client.get(f"/api/tasks/{parent.pk}/").json()

    by_code = {c["code"]: c for c in data["children"]}
    assert by_code["7.1"]["visible"] and by_code["7.1"]["title"] == "本局归集"
    assert by_code["7.2"] == {
        "id": foreign.pk,
        "code": "7.2",
        "title": "其他单位负责的事项",
        "status": None,
        "status_label": "",
        "rag": None,
        "progress": 40.0,
        "visible": False,
    }
    assert SECRET_TITLE not in data["rag_reason"] and "7.2" in data["rag_reason"]


def test_a_unit_dossier_redacts_another_units_child(family, dsj_admin):
    from reform.periods import period_of  # noqa: PLC0415
    from reports.builders import Spec, gather_dossier  # noqa: PLC0415 - the report builder, only here
    from reports.params import parse_scope  # noqa: PLC0415
    from tasks_app.selectors.programmes import default_programme  # noqa: PLC0415

    spec = Spec(
        "dossier",
        parse_scope("task:7", default_programme()),
        period_of(date(2026, 11, 30), "month"),
        2026,
        1,
        date(2026, 12, 1),
    )

    children = {c["code"]: c for c in gather_dossier(spec)["children"]}

    assert children["7.2"]["title"] == "其他单位负责的事项" and children["7.2"]["unit"] == "—"
    assert children["7.1"]["title"] == "本局归集"


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("dsj_hаndler", "西里尔"),  # a Cyrillic а
        ("ｄsj_handler", "已存在"),  # full-width: NFKC makes it the existing dsj_handler
        ("DSJ_HANDLER", "已存在"),
        ("ԁѕј_һаndlеr", "容易被误认"),  # look-alikes throughout
    ],
)
def test_look_alike_usernames_are_refused(office_user, dsj, dsj_handler, username, why):
    with pytest.raises(ValidationError) as caught:
        account_services.user_create(
            actor=office_user,
            username=username,
            full_name="新同事",
            unit=dsj,
            role=Role.UNIT_HANDLER,
            one_time_password="Tmp-Strong-2026!x",
        )

    assert why in caught.value.fields["username"][0]


def test_a_display_name_copying_a_username_is_refused_and_a_shared_name_is_shown_with_the_username(
    office_user, dsj, dsj_handler, item
):
    with pytest.raises(ValidationError) as caught:
        account_services.user_create(
            actor=office_user,
            username="new_one",
            full_name="dsj_handler",
            unit=dsj,
            role=Role.UNIT_HANDLER,
            one_time_password="Tmp-Strong-2026!x",
        )
    assert "full_name" in caught.value.fields
    twin = account_services.user_create(
        actor=office_user,
        username="twin_handler",
        full_name=dsj_handler.full_name,  # two colleagues may share a name …
        unit=dsj,
        role=Role.UNIT_HANDLER,
        one_time_password="Tmp-Strong-2026!x",
    )
    assert twin.full_name == dsj_handler.full_name

    client = Client()
    client.force_login(office_user)
    html = client.get(f"/tasks/{item.pk}/").content.decode()
    assert f"（{dsj_handler.username}）" in html  # … so the timeline says which account acted
    api = APIClient()
    api.force_authenticate(office_user)
    usernames = {e["actor_username"] for e in api.get(f"/api/tasks/{item.pk}/trace/").json()}
    assert dsj_handler.username in usernames


def get_token(username: str, password: str, ip: str):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_varying_the_address_does_not_buy_unlimited_guesses(dsj, settings):
    settings.AXES_USERNAME_FAILURE_LIMIT = 8
    make_user(Role.UNIT_HANDLER, unit=dsj, username="target")

    for n in range(7):
        assert get_token("target", "wrong", f"10.9.0.{n}").status_code == 400
    assert get_token("target", "wrong", "10.9.0.7").status_code == 429  # the eighth, from an eighth address

    locked = get_token("target", PASSWORD, "10.9.1.1")
    assert locked.status_code == 429
    assert get_token("dsj_other", "wrong", "10.9.1.1").status_code == 400  # other accounts are untouched


def test_a_few_failures_from_one_address_do_not_lock_other_addresses(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="typo")
    for _ in range(5):
        get_token("typo", "wrong", "10.8.0.1")

    assert get_token("typo", PASSWORD, "10.8.0.1").status_code == 429
    assert get_token("typo", PASSWORD, "10.8.0.2").status_code == 200


def test_an_in_progress_item_of_another_unit_is_still_hidden_by_url(family, dsj_handler, office_user):
    _parent, _own, foreign = family
    drive(
        foreign, Status.IN_PROGRESS, office=office_user, unit_user=make_user(Role.UNIT_HANDLER, unit=foreign.lead_unit)
    )
    client = APIClient()
    client.force_authenticate(dsj_handler)

    assert client.get(f"/api/tasks/{foreign.pk}/").status_code == 404
