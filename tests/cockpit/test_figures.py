"""Every cockpit figure against the slow computation (Python loops over every object), on random data.

The data is a seeded synthetic programme (``seed_scale``), then random real service calls: the
figures must agree right after the bulk build (full roll-up) and after the writes (the roll-ups
catch up from the trace, delta by delta), and the catch-up must leave the roll-up tables exactly as
a rebuild from scratch would.
"""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from cockpit import drilldown, filters, rollup
from cockpit.models import (
    ClosureCell,
    CockpitState,
    DueCell,
    FigureCache,
    IndicatorFact,
    ReportCell,
    StateCell,
    TaskFact,
)
from cockpit.services import cockpit_figures
from orgs.models import OrgUnit
from reform.periods import period_of
from tasks_app.models import Domain
from tasks_app.selectors.programmes import default_programme

from .conftest import build_programme, random_writes
from .reference import LIGHTS, reference_for

pytestmark = pytest.mark.django_db


def payload_for(user, **params):
    return cockpit_figures(user=user, params={k: str(v) for k, v in params.items()})


def drill_count(user, url: str) -> int:
    """How many tasks the figure's link lists (the /tasks/ page's query, answered by the cockpit's selector)."""
    parts = urlsplit(url)
    assert parts.path == "/tasks/"
    return drilldown.drilldown_queryset(user=user, params=dict(parse_qsl(parts.query))).count()


def assert_matches(payload, ref, user) -> None:
    """Compare every figure of the payload with the reference, and each link's list with the figure."""
    h, expected = payload["headline"], ref.headline()
    for key, value in expected.items():
        assert h[key]["value"] == value, key
    for key in ("tasks", "items", "closed", "on_time", "overdue", "open", *LIGHTS):
        assert drill_count(user, h[key]["url"]) == h[key]["value"], key
    assert drill_count(user, h["closure_rate"]["denominator_url"]) == h["closure_rate"]["denominator"]

    statuses = ref.by_status()
    for row in payload["by_status"]:
        assert row["value"] == statuses[row["status"]], row["status"]
        assert drill_count(user, row["url"]) == row["value"]

    domains = ref.lights_by_domain()
    assert {r["code"] for r in payload["lights_by_domain"]} == set(domains)
    for row in payload["lights_by_domain"]:
        want = domains[row["code"]]
        for key in (*LIGHTS, "items", "closed", "overdue"):
            assert row[key]["value"] == want[key], (row["code"], key)
            assert drill_count(user, row[key]["url"]) == want[key], (row["code"], key)

    dims = ref.dimensions()
    for row in payload["dimensions"]:
        for key in (*LIGHTS, "items", "closed"):
            assert row[key]["value"] == dims[row["key"]][key], (row["key"], key)
            assert drill_count(user, row[key]["url"]) == dims[row["key"]][key]

    units = ref.lights_by_unit()
    assert {r["name"]: {k: r[k]["value"] for k in (*LIGHTS, "items")} for r in payload["lights_by_unit"]} == units
    for row in payload["lights_by_unit"]:
        for key in (*LIGHTS, "items"):
            assert drill_count(user, row[key]["url"]) == row[key]["value"], (row["name"], key)

    closed = [r["closed"]["value"] for r in payload["trend"]["periods"]]
    assert closed == ref.trend_closed()
    for row in payload["trend"]["periods"]:
        assert drill_count(user, row["closed"]["url"]) == row["closed"]["value"]

    ind = ref.indicators()
    got = payload["indicators"]
    assert got["total"]["value"] == ind["total"]
    for bucket in got["buckets"]:
        assert bucket["value"] == ind["buckets"].get(bucket["key"], 0), bucket["key"]
        assert bucket["tasks"] == ind["bucket_tasks"].get(bucket["key"], 0), bucket["key"]
        assert drill_count(user, bucket["url"]) == bucket["tasks"], bucket["key"]
    assert [w["indicator_id"] for w in got["worst"]] == ind["worst"]
    assert [w["gap"] for w in got["worst"]] == ind["worst_gaps"]
    for row in got["by_domain"]:
        if row["code"] in ind["by_domain"]:
            assert (row["achievement"], row["expected"]) == pytest.approx(ind["by_domain"][row["code"]], abs=0.051)
        else:
            assert row["achievement"] is None

    inst = ref.instructions()
    for key, value in inst.items():
        assert payload["instructions"][key]["value"] == value, key
        assert drill_count(user, payload["instructions"][key]["url"]) == payload["instructions"][key]["tasks"], key

    owed, punctual = ref.report_pairs()
    reports = payload["reports"]
    assert reports["expected"]["value"] == len(owed)
    assert reports["on_time"]["value"] == len(punctual)
    assert drill_count(user, reports["expected"]["url"]) == len({t for t, _ in owed})
    assert drill_count(user, reports["on_time"]["url"]) == len({t for t, _ in punctual})
    assert drill_count(user, reports["late"]["url"]) == len({t for t, _ in owed - punctual})
    assert sum(r["expected"]["value"] for r in reports["by_unit"]) == len(owed)

    assert payload["listed"]["count"]["value"] == ref.listed()
    assert drill_count(user, payload["listed"]["count"]["url"]) == ref.listed()


def rollup_tables() -> dict[str, set]:
    return {
        "facts": set(TaskFact.objects.values_list("task_id", "code", "status", "rag", "scopes", "closed_on")),
        "state": set(
            StateCell.objects.filter(n__gt=0).values_list(
                "scope", "domain_id", "is_leaf", "status", "rag", "led", "n", "governance", "service", "on_time"
            )
        ),
        "due": set(DueCell.objects.filter(n__gt=0).values_list("scope", "domain_id", "deadline", "n")),
        "closure": set(
            ClosureCell.objects.filter(closed__gt=0).values_list(
                "scope", "domain_id", "period_end", "closed", "on_time"
            )
        ),
        "indicators": {
            (i, s, t, d, b, round(a, 6) if a is not None else None)
            for i, s, t, d, b, a in IndicatorFact.objects.values_list(
                "indicator_id", "scope", "task_id", "domain_id", "bucket", "gap"
            )
        },
        "reports": set(
            ReportCell.objects.values_list("period_end", "domain_id", "lead_unit_id", "expected", "on_time")
        ),
    }


@pytest.mark.parametrize("seed", [3, 17])
def test_every_figure_matches_the_slow_computation_after_the_bulk_build(seed):
    p = build_programme(80, seed=seed)
    assert_matches(payload_for(p.leader), reference_for(), p.leader)


def test_figures_match_in_a_unit_scope_a_domain_and_a_ten_day_period(programme):
    p = programme
    today = timezone.localdate()
    domain = Domain.objects.get(code="digital_gov")
    assert_matches(payload_for(p.leader, unit=p.city.pk), reference_for(unit=p.city), p.leader)
    assert_matches(payload_for(p.leader, domain=domain.code), reference_for(domain=domain), p.leader)
    tenday = period_of(today)
    value = filters.period_value(tenday)
    assert_matches(payload_for(p.leader, period=value), reference_for(period=tenday), p.leader)
    last_month = period_of(today, "month").previous()
    assert_matches(
        payload_for(p.leader, period=filters.period_value(last_month), unit=p.city.pk, domain=domain.code),
        reference_for(unit=p.city, domain=domain, period=last_month),
        p.leader,
    )


@pytest.mark.parametrize("seed", [5, 29])
def test_after_random_writes_the_delta_catch_up_matches_the_slow_computation_and_a_rebuild(seed):
    p = build_programme(60, seed=seed)
    rng = random.Random(seed)
    payload_for(p.leader)  # roll-ups current and cached
    done = random_writes(p, rng, 60)
    assert sum(done.values()) >= 15, done  # the writes did happen
    state_before = CockpitState.objects.get(pk=1)
    payload = payload_for(p.leader)
    state = CockpitState.objects.get(pk=1)
    assert state.epoch == state_before.epoch  # caught up by delta, not by a rebuild
    assert_matches(payload, reference_for(), p.leader)
    city_payload = payload_for(p.leader, unit=p.city.pk)
    assert_matches(city_payload, reference_for(unit=p.city), p.leader)

    incremental = rollup_tables()
    for model in (TaskFact, StateCell, DueCell, ClosureCell, IndicatorFact, ReportCell):
        model.objects.all().delete()
    rollup.sync(full=True)
    assert rollup_tables() == incremental


def test_a_write_is_visible_at_the_next_read_even_without_the_service_hook(programme):
    p = programme
    before = payload_for(p.leader)
    task = OrgUnit.objects.none()  # placeholder to keep names clear below
    from tasks_app import services
    from tasks_app.models import Task

    task = Task.objects.filter(is_leaf=True).exclude(status__in=["closed", "cancelled"]).order_by("pk").first()
    services.notice_issue(actor=p.office, task=task, level=4, reason="挂牌督办：限期整改")
    after = payload_for(p.leader)
    assert after["seq"] > before["seq"]
    assert after["listed"]["count"]["value"] >= 1
    assert after["listed"]["count"]["value"] == reference_for().listed()
    assert after["headline"]["red"]["value"] == reference_for().headline()["red"]


def test_the_nightly_light_recompute_is_picked_up_through_the_epoch(programme):
    """Lights changed without a trace entry (the nightly job) show once the epoch moves."""
    from tasks_app.models import Task

    p = programme
    before = payload_for(p.leader)["headline"]["red"]["value"]
    changed = list(Task.objects.filter(is_leaf=True, rag="green").values_list("pk", flat=True)[:3])
    Task.objects.filter(pk__in=changed).update(rag="red")  # as recompute_all writes: no trace entry
    assert payload_for(p.leader)["headline"]["red"]["value"] == before  # same watermark: cached
    from indicators.tasks import recompute_lights_nightly

    recompute_lights_nightly.apply()  # the signal bumps the epoch and compares every task
    assert payload_for(p.leader)["headline"]["red"]["value"] == reference_for().headline()["red"]


def test_the_cache_answers_until_the_watermark_moves(programme, django_assert_num_queries):
    p = programme
    first = payload_for(p.leader)
    # the user's role (groups), the programme they work in, and the cached row for the watermark
    with django_assert_num_queries(3):
        p.leader.__dict__.pop("_role_cache", None)
        again = payload_for(p.leader)
    assert again == first
    assert (
        FigureCache.objects.filter(key__startswith=f"v{filters.PAYLOAD_VERSION}:{default_programme().pk}:0:").count()
        == 1
    )


def test_the_red_and_black_lists_are_the_two_ends_of_unit_ranking(programme):
    from tasks_app.selectors import unit_ranking

    p = programme
    today = timezone.localdate()
    month = period_of(today, "month")
    rows = unit_ranking(start=month.start, end=month.end, today=today)
    ranking = payload_for(p.leader)["ranking"]
    assert ranking["units"] == len(rows)
    assert [r["unit_id"] for r in ranking["red"]] == [r.unit_id for r in rows[:5]]
    assert [r["unit_id"] for r in ranking["black"]] == [r.unit_id for r in reversed(rows[5:])][:5]
    for row in ranking["red"] + ranking["black"]:
        assert drill_count(p.leader, row["overdue"]["url"]) == row["overdue"]["value"]
        assert drill_count(p.leader, row["due"]["url"]) == row["due"]["value"]
    scoped = payload_for(p.leader, unit=p.city.pk)["ranking"]
    inside = [r for r in rows if OrgUnit.objects.get(pk=r.unit_id).path.startswith(p.city.path)]
    assert [r["unit_id"] for r in scoped["red"]] == [r.unit_id for r in inside[:5]]


def test_the_trend_reads_past_red_counts_from_snapshots_and_this_period_live(programme):
    from cockpit.models import LightSnapshot

    p = programme
    today = timezone.localdate()
    previous = period_of(today, "month").previous()
    LightSnapshot.objects.filter(scope=0, day=previous.end).delete()
    LightSnapshot.objects.create(day=previous.end, scope=0, domain_id=1, red=7, taken_at=timezone.now())
    LightSnapshot.objects.create(day=previous.end, scope=0, domain_id=2, red=5, taken_at=timezone.now())
    rollup.epoch_bump("test: snapshots changed")
    rows = payload_for(p.leader)["trend"]["periods"]
    assert rows[-2]["red"] == {"value": 12, "url": None, "source": "snapshot", "day": previous.end.isoformat()}
    assert rows[-1]["red"]["source"] == "live"
    assert rows[-1]["red"]["value"] == reference_for().headline()["red"]
    assert LightSnapshot.objects.filter(day=today, scope=0).exists()  # today's snapshot, taken on the first read


def test_the_service_hook_catches_up_after_commit_and_the_worker_warms_the_leaders_view(
    programme, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from cockpit import services as cockpit_services
    from cockpit.tasks import cockpit_sync
    from tasks_app import services
    from tasks_app.models import Task
    from trail.models import TraceHead

    p = programme
    payload_for(p.leader)
    task = Task.objects.filter(is_leaf=True, status="in_progress").order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_issue(actor=p.office, task=task, level=4, reason="挂牌督办")
        cockpit_services.rollup_refresh_on_commit([task.pk])  # the one call the task services will make
    assert CockpitState.objects.get(pk=1).seq == TraceHead.objects.get(pk=1).seq
    assert cockpit_sync.apply().get() >= 1  # what the worker runs: catch up, recompute the default view
    with django_assert_max_num_queries(3):  # role, programme, the cached row
        p.leader.__dict__.pop("_role_cache", None)
        warm = payload_for(p.leader)
    assert warm["listed"]["count"]["value"] == reference_for().listed()
