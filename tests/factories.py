"""factory_boy factories. Tasks and units go through the services so paths, codes and trace are real."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from orgs.models import OrgUnit
from orgs.services import orgunit_create
from reform.roles import Role
from tasks_app import services
from tasks_app.models import Domain, Task

_unit_seq = itertools.count(1)
_task_seq = itertools.count(1)


def make_unit(name: str | None = None, *, parent: OrgUnit | None = None, level: str = "city") -> OrgUnit:
    n = next(_unit_seq)
    return orgunit_create(actor=None, name=name or f"测试单位{n}", short_code=f"U{n:05d}", level=level, parent=parent)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Strong-2026!")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


def make_user(role: str, unit: OrgUnit | None = None, **kwargs: object) -> User:
    return UserFactory(role=role, unit=unit, **kwargs)


def domain(code: str = "digital_gov") -> Domain:
    return Domain.objects.get(code=code)


def make_task(
    code: str | None = None,
    *,
    lead_unit: OrgUnit,
    title: str | None = None,
    domain_code: str = "digital_gov",
    deadline: date | None = None,
    start_date: date | None = None,
    weight: int | str = 1,
    cooperating_units: tuple[OrgUnit, ...] = (),
) -> Task:
    n = next(_task_seq)
    code = code or str(900 + n)
    return services.task_create(
        actor=None,
        code=code,
        title=title or f"测试任务{code}",
        domain=Domain.objects.get(code=domain_code) if "." not in code else None,
        lead_unit=lead_unit,
        cooperating_units=cooperating_units,
        start_date=start_date,
        deadline=deadline if deadline is not None else date.today() + timedelta(days=60),
        weight=weight,
    )


__all__ = ["Role", "UserFactory", "domain", "make_task", "make_unit", "make_user"]
