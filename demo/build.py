"""The demo programme of a fictional city (演示市). Each later capability extends it."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from indicators.rag import recompute_all
from orgs.models import OrgUnit
from orgs.services import orgunit_create
from reform.roles import Role
from tasks_app.bootstrap import ensure_reference_data
from tasks_app.models import Task
from trail.models import TraceEntry

from .levels import DistrictStory
from .loop import LAUNCH, DemoLoop, already_built, on_day
from .tasklist import load_demo_tasklist

CITY = "演示市人民政府"
DEPARTMENTS = [
    ("市大数据局", "DSJ"),
    ("市经信局", "JXJ"),
    ("市发展改革委", "FGW"),
    ("市政府办公室", "ZFB"),
    ("市司法局", "SFJ"),
    ("市市场监管局", "SCJ"),
    ("市人力社保局", "RSJ"),
    ("市卫生健康委", "WJW"),
    ("市教育局", "JYJ"),
    ("市公安局", "GAJ"),
    ("市自然资源局", "ZRJ"),
    ("市财政局", "CZJ"),
]
DISTRICTS = [
    ("东城区", "DCQ", [("东华街道", "DCQ-DH"), ("东湖街道", "DCQ-HU")]),
    ("西湖区", "XHQ", [("西溪街道", "XHQ-XX"), ("灵隐街道", "XHQ-LY")]),
    ("南江区", "NJQ", [("南星街道", "NJQ-NX"), ("江滨街道", "NJQ-JB")]),
]
ACCOUNTS = [
    ("leader", "王市长", Role.LEADER, CITY),
    ("duchashi", "李督查", Role.OFFICE, "市政府办公室"),
    ("dsj_admin", "张数据", Role.UNIT_ADMIN, "市大数据局"),
    ("dsj_handler", "陈经办", Role.UNIT_HANDLER, "市大数据局"),
    ("jxj_admin", "刘经信", Role.UNIT_ADMIN, "市经信局"),
    ("jxj_handler", "赵经办", Role.UNIT_HANDLER, "市经信局"),
    ("auditor", "孙审计", Role.AUDITOR, None),
    # The second level: 东城区 runs its own loop with its streets.
    ("dcq_duchashi", "周督查", Role.OFFICE, "东城区"),
    ("dcq_leader", "吴区长", Role.LEADER, "东城区"),
    ("dcq_admin", "郑主任", Role.UNIT_ADMIN, "东城区"),
    ("dcqdh_admin", "冯主任", Role.UNIT_ADMIN, "东华街道"),
    ("dcqdh_handler", "钱网格", Role.UNIT_HANDLER, "东华街道"),
    ("dcqhu_handler", "孙专干", Role.UNIT_HANDLER, "东湖街道"),
]
# Offices and leaders of a district hold their role over the district (its subtree), not the city.
SCOPED = {"dcq_duchashi": "东城区", "dcq_leader": "东城区"}


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "demo-pass-2026")


def _unit(name: str, code: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    existing = OrgUnit.objects.filter(name=name).first()
    return existing or orgunit_create(actor=None, name=name, short_code=code, level=level, parent=parent)


def build_units() -> dict[str, OrgUnit]:
    city = _unit(CITY, "CITY", OrgUnit.Level.CITY, None)
    units = {CITY: city}
    for name, code in DEPARTMENTS:
        units[name] = _unit(name, code, OrgUnit.Level.CITY, city)
    for name, code, streets in DISTRICTS:
        district = _unit(name, code, OrgUnit.Level.COUNTY, city)
        units[name] = district
        for street, street_code in streets:
            units[street] = _unit(street, street_code, OrgUnit.Level.STREET, district)
    return units


def unit_handler_accounts() -> list[tuple[str, str, str, str]]:
    """A handler for every other demo unit, so every task's lead unit can act in the demo."""
    named = {unit for _, _, role, unit in ACCOUNTS if role == Role.UNIT_HANDLER}
    accounts = []
    for name, code in DEPARTMENTS + [(d, c) for d, c, _ in DISTRICTS]:
        if name not in named:
            accounts.append((f"{code.lower()}_handler", f"{name}经办人", Role.UNIT_HANDLER, name))
    return accounts


def build_accounts(units: dict[str, OrgUnit]) -> dict[str, User]:
    users = {}
    for username, full_name, role, unit_name in ACCOUNTS + unit_handler_accounts():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                full_name=full_name,
                unit=units.get(unit_name) if unit_name else None,
                scope=units[SCOPED[username]] if username in SCOPED else None,
            )
            user.set_password(demo_password())
            user.save()
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def build_demo(stdout: Any = None) -> str:
    ensure_reference_data()
    with transaction.atomic():
        units = build_units()
        users = build_accounts(units)
    with on_day(LAUNCH - timedelta(days=1)):  # the programme office sent the list before launch
        load_demo_tasklist()  # the task list the loop below drives (skipped when already imported)
    if not already_built():
        with transaction.atomic():
            DemoLoop(users, timezone.localdate()).run()
            DistrictStory(users, timezone.localdate()).run()
    recompute_all()  # the history ran on past days; bring every light to today
    return (
        f"{len(units)} 个单位，{len(users)} 个账号，{Task.objects.count()} 项任务，{TraceEntry.objects.count()} 条留痕"
    )
