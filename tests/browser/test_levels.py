"""Two levels in Chromium: 东城区's leader sees their own one screen, a street's handler their own list.

Runs on the demo (``load_demo``), as a user of the product would meet it; screenshots at 1920 and 390
go to docs/screenshots/ (cockpit-district-*, tasks-street-*).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from demo.levels import DISTRICT_PROGRAMME
from tasks_app import access
from tasks_app.models import Task
from tasks_app.selectors.task_list import PAGE_SIZE

from .conftest import PASSWORD, open_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("load_demo", verbosity=0)


def test_a_district_leader_sees_their_district_and_a_street_handler_their_street(demo, browser, live_server):
    from accounts.models import User

    base = live_server.url

    # 东城区's leader opens the cockpit: their district's own programme, their district's units only.
    leader = open_session(browser, base, "dcq_leader")
    leader.go("/cockpit/")
    leader.page.locator("#chart-dims canvas").first.wait_for(timeout=30_000)
    leader.page.wait_for_timeout(800)
    header = leader.page.locator(".ck-title").inner_text()
    assert DISTRICT_PROGRAMME in header and "东城区" in header
    ranked = leader.page.locator("[data-fig^='ranking.'], .ck-ranking").all_inner_texts()
    assert "市经信局" not in " ".join(ranked) and "西湖区" not in " ".join(ranked)
    leader.shot("cockpit-district-1920")
    leader.shot("cockpit-district-390", width=390)
    assert leader.problems == []
    # The city's programme is one choice away, still limited to 东城区.
    city = Task.objects.exclude(programme__name=DISTRICT_PROGRAMME).first().programme
    leader.page.select_option("#ck-f-programme", str(city.pk))
    with leader.page.expect_navigation():
        leader.page.locator("form.ck-filters button[type=submit]").click()
    leader.page.wait_for_load_state()
    header = leader.page.locator(".ck-title").inner_text()
    assert city.name in header and "东城区" in header
    assert leader.problems == []

    # A street handler's list holds exactly the tasks their street leads or cooperates on.
    handler = open_session(browser, base, "dcqdh_handler")
    handler.go("/tasks/")
    rows = handler.page.locator("table.tasks tbody tr:not(.empty)")
    assert rows.count() > 0
    user = User.objects.get(username="dcqdh_handler")
    visible = access.visible_tasks(user)
    assert rows.count() == min(visible.count(), PAGE_SIZE)
    # every task of theirs is led by their street or has it among the cooperating units; none is the city's alone
    assert not visible.exclude(lead_unit__path__startswith=user.unit.path).exclude(cooperating_units=user.unit).exists()
    listed = " ".join(rows.all_inner_texts())
    assert "东华街道" in listed and "市经信局" not in listed
    handler.shot("tasks-street-1920")
    handler.shot("tasks-street-390", width=390)
    assert handler.problems == []
