"""What the cockpit is looking at: the filter set, who may open it, the units around it, and its links.

A filter set (``CockpitFilters``: unit, domain, period) comes from the query string of the page or
``/api/cockpit/`` (``parse_filters``, which keeps a unit admin inside the unit's subtree), or from the
key of a cached payload (``filters_from_key``). Who may open the cockpit (``require_cockpit_access``)
and act from it (``actions_for``) is decided here. Every figure links to ``/tasks/`` with its own
conditions plus the filter set's domain and unit (``drill``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import NotFound, PermissionDenied, ValidationError
from reform.params import check_date, parse_id
from reform.periods import Period, last_periods, period_of
from reform.roles import Role
from tasks_app.access import sees_everything
from tasks_app.models import Domain, Programme
from tasks_app.selectors.programmes import programme_from

from .models import ALL_SCOPE

if TYPE_CHECKING:
    from accounts.models import User

PAYLOAD_VERSION = 2  # 2: the programme is part of the key
COCKPIT_ROLES = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.UNIT_ADMIN})
PERIOD_CHOICES = 12


# --- The filter set -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CockpitFilters:
    unit: OrgUnit | None
    domain: Domain | None
    period: Period
    period_value: str
    programme: Programme

    @property
    def scope(self) -> int:
        return self.unit.pk if self.unit is not None else ALL_SCOPE

    @property
    def domain_ids(self) -> list[int]:
        """The domains the figures count: the chosen one, or every domain of the programme."""
        if self.domain is not None:
            return [self.domain.pk]
        return list(Domain.objects.filter(programme=self.programme).values_list("pk", flat=True))

    @property
    def cache_key(self) -> str:
        domain = self.domain.code if self.domain else "*"
        return f"v{PAYLOAD_VERSION}:{self.programme.pk}:{self.scope}:{domain}:{self.period_value}"

    def query(self) -> dict[str, str]:
        """The filters as they appear in the cockpit's own URL."""
        out = {"programme": str(self.programme.pk), "period": self.period_value}
        if self.domain is not None:
            out["domain"] = self.domain.code
        if self.unit is not None:
            out["unit"] = str(self.unit.pk)
        return out


def period_value(period: Period) -> str:
    if period.kind == "month":
        return f"{period.end.year}-{period.end.month:02d}"
    part = 1 if period.start.day == 1 else (2 if period.start.day == 11 else 3)
    return f"{period.end.year}-{period.end.month:02d}-t{part}"


def parse_period(value: str, today: date) -> Period:
    """``2026-11`` (a month) or ``2026-11-t2`` (its middle ten-day period); empty: the current month."""
    value = (value or "").strip()
    if not value:
        return period_of(today, "month")
    try:
        parts = value.split("-")
        year, month = int(parts[0]), int(parts[1])
        if len(parts) == 2:
            period = period_of(date(year, month, 1), "month")
        elif len(parts) == 3 and parts[2] in ("t1", "t2", "t3"):
            period = period_of(date(year, month, {"t1": 1, "t2": 11, "t3": 21}[parts[2]]), "tenday")
        else:
            raise ValueError(value)
    except (ValueError, IndexError) as exc:
        raise ValidationError(
            _("统计期间“%(v)s”格式不正确，应为 2026-11（月）或 2026-11-t2（旬）") % {"v": value},
            fields={"period": [_("格式不正确")]},
        ) from exc
    check_date(period.start, "period", label=_("统计期间"))
    if period.start > today:
        raise ValidationError(_("不能选择尚未开始的统计期间"), fields={"period": [_("尚未开始")]})
    return period


def require_cockpit_access(user: User) -> None:
    if not user.is_authenticated or not (user.is_superuser or user.role in COCKPIT_ROLES):
        raise PermissionDenied(_("您的角色无权查看驾驶舱，请在任务清单中办理本单位事项"))
    if not sees_everything(user) and user.jurisdiction is None:
        raise PermissionDenied(_("您的账号未关联单位，无权查看驾驶舱"))


def actions_for(user: Any) -> dict[str, bool]:
    """What the user may do from the cockpit (批示: leaders; 督办: leaders and the office)."""
    return {"instruct": user.role == Role.LEADER, "notice": user.role in (Role.LEADER, Role.OFFICE)}


def parse_filters(user: User, params: Any, today: date | None = None) -> CockpitFilters:
    """Read programme, domain, unit and period from the query string; an account with a jurisdiction
    stays within it; the programme defaults to the one the user works in."""
    require_cockpit_access(user)
    today = today or timezone.localdate()
    programme = programme_from(params, user)
    domain = None
    if code := (params.get("domain") or "").strip():
        domain = Domain.objects.filter(programme=programme, code=code).first()
        if domain is None:
            raise ValidationError(_("未知的改革领域：%(c)s") % {"c": code}, fields={"domain": [_("无效")]})
    unit = None
    unit_id = parse_id(params.get("unit"), "unit")
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise NotFound(_("单位不存在或无权访问"))
    if not sees_everything(user):
        own = user.jurisdiction  # a district's leaders and office, or a unit admin: their own subtree
        assert own is not None  # require_cockpit_access
        if unit is None:
            unit = own
        elif not unit.path.startswith(own.path):
            raise NotFound(_("单位不存在或无权访问"))
    period = parse_period(params.get("period", ""), today)
    return CockpitFilters(
        unit=unit, domain=domain, period=period, period_value=period_value(period), programme=programme
    )


def filters_from_key(key: str, today: date) -> CockpitFilters | None:
    """Rebuild the filters of a cached payload from its key (``v2:<programme>:<scope>:<domain>:<period>``)."""
    parts = key.split(":")
    if len(parts) != 5 or parts[0] != f"v{PAYLOAD_VERSION}" or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    programme = Programme.objects.filter(pk=int(parts[1])).first()
    unit = OrgUnit.objects.filter(pk=int(parts[2])).first() if parts[2] != "0" else None
    domain = Domain.objects.filter(programme=programme, code=parts[3]).first() if parts[3] != "*" else None
    if programme is None or (parts[2] != "0" and unit is None) or (parts[3] != "*" and domain is None):
        return None
    try:
        period = parse_period(parts[4], today)
    except ValidationError:
        return None
    return CockpitFilters(
        unit=unit, domain=domain, period=period, period_value=period_value(period), programme=programme
    )


# --- Links --------------------------------------------------------------------------------------


def drill(f: CockpitFilters, **params: Any) -> str:
    """The /tasks/ link for a figure: its own filters first, then the cockpit's domain and unit."""
    query: dict[str, Any] = {k: v for k, v in params.items() if v not in (None, "", False)}
    query.setdefault("programme", f.programme.pk)
    if f.domain is not None and "domain" not in query:
        query["domain"] = f.domain.code
    if f.unit is not None and "lead" not in query and "unit" not in query:
        query["unit"] = f.unit.pk
    return "/tasks/?" + urlencode({k: (1 if v is True else v) for k, v in query.items()})


# --- The units around the scope -----------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    pk: int
    name: str
    parent_id: int | None
    depth: int
    chain: tuple[int, ...]


def load_units() -> dict[int, UnitRow]:
    units = {}
    for pk, name, parent_id, depth, path in OrgUnit.objects.values_list("pk", "name", "parent_id", "depth", "path"):
        units[pk] = UnitRow(pk, name, parent_id, depth, tuple(int(p) for p in path.strip("/").split("/") if p))
    return units


def chart_units(f: CockpitFilters, units: dict[int, UnitRow]) -> tuple[int | None, list[UnitRow]]:
    """The unit whose children the unit charts show, and those children (the roots when there are several)."""
    if f.unit is not None:
        parent: int | None = f.unit.pk
    else:
        roots = [u for u in units.values() if u.parent_id is None]
        if len(roots) != 1:
            return None, sorted(roots, key=lambda u: u.pk)
        parent = roots[0].pk
    return parent, sorted((u for u in units.values() if u.parent_id == parent), key=lambda u: u.pk)


def scope_meta(f: CockpitFilters, units: dict[int, UnitRow], domains: list[Domain], today: date) -> dict[str, Any]:
    """The filter bar: the unit with its ancestors and children, the domains and the periods to choose from."""
    _parent, children = chart_units(f, units)
    unit = units.get(f.unit.pk) if f.unit is not None else None
    months = last_periods(today, PERIOD_CHOICES, "month")
    tendays = last_periods(today, PERIOD_CHOICES, "tenday")
    programmes = list(Programme.objects.filter(is_active=True).order_by("order", "pk").values("pk", "name"))
    return {
        "programme": {"id": f.programme.pk, "name": f.programme.name},
        # Offered when there is more than one (the city's plan, a district's own, the year's key tasks …).
        "programmes": [{"id": p["pk"], "name": p["name"]} for p in programmes] if len(programmes) > 1 else [],
        "unit": {"id": unit.pk, "name": unit.name} if unit else None,
        "ancestors": [{"id": u, "name": units[u].name} for u in (unit.chain[:-1] if unit else ()) if u in units],
        "children": [{"id": c.pk, "name": c.name} for c in children],
        "domain": {"code": f.domain.code, "name": f.domain.name} if f.domain else None,
        "domains": [{"code": d.code, "name": d.name} for d in domains],
        "period": {
            "value": f.period_value,
            "kind": f.period.kind,
            "label": f.period.label,
            "start": f.period.start.isoformat(),
            "end": f.period.end.isoformat(),
        },
        "periods": [{"value": period_value(p), "label": p.label} for p in reversed(months)]
        + [{"value": period_value(p), "label": p.label} for p in reversed(tendays)],
    }
