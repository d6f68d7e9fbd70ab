"""Importing the task list: all or nothing.

Every problem in the file is collected (sheet, Excel row, column and a Chinese message) and one error
means nothing is saved. A clean file is saved with bulk inserts in one transaction, and every created
task is traced.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from indicators.models import Indicator
from orgs.models import OrgUnit
from orgs.services import orgunit_create
from reform.errors import PermissionDenied
from trail.chain import append_many

from .. import access, events, services, tree
from ..bulk import bulk_insert_tree
from ..models import EvaluationCriterion, Measure, Policy, Programme, Task
from ..selectors.programmes import default_programme, home_programme
from .permissions import _require
from .plan import _chunks, _Planner, _PolicyPlan
from .reader import FileRefused, _file_bytes, _read_workbook, _sha256
from .report import ImportReport, _empty_counts, _Issues
from .schema import BULK_BATCH, INDICATOR_SHEET, POLICY_SHEET, TASK_SHEET

if TYPE_CHECKING:
    from accounts.models import User


class _Importer(_Planner):
    """The checked plan, and saving it."""

    # -- Saving --------------------------------------------------------------------------------
    def save(self, *, sha256: str, file_name: str, dry_run: bool) -> dict[str, int]:
        unique_policies, existing_policies = self.plan_policies()
        created = {
            "tasks": len(self.tasks),
            "indicators": len(self.indicators),
            "policies": len(unique_policies) - len(existing_policies),
            "units": len(self.new_units),
        }
        parent_of_new = {p for p in (tree.parent_code(code) for code in self.tasks) if p is not None}
        top = None
        if self.new_units:
            top = OrgUnit.objects.filter(parent__isnull=True).order_by("depth", "pk").first()
            for unit, (row, column) in sorted(self.new_units.items(), key=lambda item: item[1]):
                under = _("（隶属“%(t)s”）") % {"t": top.name} if top else ""
                verb = _("将新建单位") if dry_run else _("已新建单位")
                self.issues.warning(TASK_SHEET, row, column, f"{verb}“{unit}”{under}")
        if dry_run:
            return created
        for unit in sorted(self.new_units, key=lambda u: self.new_units[u]):
            # The import already checked the actor may do this (the office, a superuser or the system).
            made = orgunit_create(
                actor=None,
                name=unit,
                short_code=_short_code(unit),
                level=top.level if top else OrgUnit.Level.CITY,
                parent=top,
            )
            self.units[unit] = made.pk
        plans = sorted(self.tasks.values(), key=lambda p: (tree.depth_of(p.code), tree.sort_key(p.code)))
        tasks = bulk_insert_tree(
            [
                Task(
                    programme=self.programme,
                    code=p.code,
                    is_leaf=p.code not in parent_of_new,
                    title=p.title,
                    domain_id=cast(int, p.domain_id),  # set for every row once ``resolve`` found no error
                    is_governance=p.is_governance,
                    is_service=p.is_service,
                    lead_unit_id=self.units[p.lead_unit],
                    owner_name=p.owner_name,
                    start_date=p.start_date,
                    deadline=p.deadline,
                    weight=p.weight,
                )
                for p in plans
            ],
            batch_size=BULK_BATCH,
        )
        pk_of = {code: pk for code, (pk, _domain, _status) in self.existing.items()}
        pk_of.update({t.code: t.pk for t in tasks})
        through = Task.cooperating_units.through
        through.objects.bulk_create(
            [through(task_id=pk_of[p.code], orgunit_id=self.units[u]) for p in plans for u in p.cooperating_units],
            batch_size=BULK_BATCH,
        )
        Measure.objects.bulk_create(
            [Measure(task_id=pk_of[p.code], text=m, order=i) for p in plans for i, m in enumerate(p.measures, 1)],
            batch_size=BULK_BATCH,
        )
        EvaluationCriterion.objects.bulk_create(
            [EvaluationCriterion(task_id=pk_of[p.code], name=n, weight=w) for p in plans for n, w in p.criteria],
            batch_size=BULK_BATCH,
        )
        Indicator.objects.bulk_create(
            [
                Indicator(
                    task_id=pk_of[i.task_code],
                    name=i.name,
                    unit=i.unit,
                    direction=i.direction,
                    baseline_value=i.baseline_value,
                    baseline_date=i.baseline_date,
                    target_value=i.target_value,
                    target_date=i.target_date,
                    data_source=i.data_source,
                )
                for i in self.indicators
            ],
            batch_size=BULK_BATCH,
        )
        self._save_policies(unique_policies, existing_policies, pk_of)
        # Existing tasks that just got their first children stop being items (事项).
        existing_parents = sorted(pk_of[code] for code in parent_of_new if code not in self.tasks)
        for chunk in _chunks(existing_parents):
            Task.objects.filter(pk__in=chunk, is_leaf=True).update(is_leaf=False)
        unit_names = {pk: name for name, pk in self.units.items()}
        append_many(
            actor=self.actor,
            items=[
                events.TASK_CREATED.item(
                    task=t,
                    to_state=t.status,
                    payload={
                        "code": t.code,
                        "title": t.title,
                        "lead_unit": unit_names[t.lead_unit_id],
                        "import": sha256,
                    },
                )
                for t in tasks
            ],
        )
        events.TASKLIST_IMPORTED(
            actor=self.actor,
            payload={"file": file_name, "sha256": sha256, "created": created, "new_units": sorted(self.new_units)},
        )
        # New tasks start at 0%; only existing ancestors' weighted progress can change.
        services.rollup_from(existing_parents)
        services.schedule_light_refresh([t.pk for t in tasks])
        return created

    def _save_policies(
        self,
        unique: dict[tuple[str, str], _PolicyPlan],
        existing: dict[tuple[str, str], int],
        pk_of: dict[str, int],
    ) -> None:
        new = [
            Policy(title=p.title, doc_number=p.doc_number, issuer=p.issuer, issued_on=p.issued_on)
            for key, p in unique.items()
            if key not in existing
        ]
        Policy.objects.bulk_create(new, batch_size=BULK_BATCH)
        policy_pk = dict(existing)
        policy_pk.update({(p.title, p.doc_number): p.pk for p in new})
        links: dict[tuple[int, int], None] = {}
        for policy in self.policies:
            for code in policy.task_codes:
                links.setdefault((policy_pk[(policy.title, policy.doc_number)], pk_of[code]), None)
        through = Policy.tasks.through
        if existing:
            already: set[tuple[int, int]] = set()
            for chunk in _chunks(sorted(existing.values())):
                already.update(through.objects.filter(policy_id__in=chunk).values_list("policy_id", "task_id"))
            links = {key: None for key in links if key not in already}
        through.objects.bulk_create(
            [through(policy_id=policy_id, task_id=task_id) for policy_id, task_id in links], batch_size=BULK_BATCH
        )


def _short_code(name: str) -> str:
    base = "IMP-" + hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:10].upper()
    code, n = base, 1
    while OrgUnit.objects.filter(short_code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def tasklist_import(
    *,
    actor: User | None,
    file: Any,
    dry_run: bool = False,
    create_units: bool = False,
    programme: Programme | None = None,
) -> ImportReport:
    """Import a task-list workbook into ``programme`` (default: the default programme) all or nothing;
    ``actor=None`` is the system (e.g. ``load_demo``).

    ``file`` is a path or a binary file object (an upload). Every problem is reported by sheet, row
    and column; any error means nothing is saved. A dry run checks everything and saves nothing.
    """
    _require(actor, access.IMPORT_TASKLIST)
    issues = _Issues()
    try:
        stream, file_name = _file_bytes(file)
    except FileRefused as exc:
        issues.error("", None, "", str(exc))
        return issues.report(dry_run=dry_run)
    try:
        sha256 = _sha256(stream)
        sheets = _read_workbook(stream, issues)
    except FileRefused as exc:
        issues.error("", None, "", str(exc))
        return issues.report(dry_run=dry_run)
    finally:
        if isinstance(file, (str, Path)):
            stream.close()
    if not sheets[TASK_SHEET].present:
        issues.error(TASK_SHEET, None, "", _("缺少工作表“%(s)s”") % {"s": TASK_SHEET})
    if not (sheets[TASK_SHEET].present and sheets[TASK_SHEET].readable):
        # Without the task sheet's key columns no reference to a task can be checked.
        return issues.report(dry_run=dry_run, sha256=sha256)
    # The file is read before the database is asked anything: a broken file is refused on its own.
    programme = programme or (home_programme(actor) if actor is not None else default_programme())
    if actor is not None and not access.may_fill_programme(actor, programme):
        raise PermissionDenied(_("“%(p)s”由上级组织推进，您只能向本级的专项导入任务") % {"p": programme.name})
    created = _empty_counts()
    try:
        with transaction.atomic():
            importer = _Importer(actor=actor, create_units=create_units, issues=issues, programme=programme)
            importer.parse_tasks(sheets[TASK_SHEET])
            if sheets[INDICATOR_SHEET].readable:
                importer.parse_indicators(sheets[INDICATOR_SHEET])
            if sheets[POLICY_SHEET].readable:
                importer.parse_policies(sheets[POLICY_SHEET])
            importer.resolve()
            if not importer.tasks and not importer.indicators and not importer.policies and not issues.errors:
                issues.error(TASK_SHEET, None, "", _("文件中没有可导入的数据"))
            if issues.errors:
                return issues.report(dry_run=dry_run, sha256=sha256)
            created = importer.save(sha256=sha256, file_name=file_name, dry_run=dry_run)
    except IntegrityError as exc:
        issues.error("", None, "", _("保存时与他人的修改冲突，未保存任何数据，请重新导入（%(e)s）") % {"e": exc})
        return issues.report(dry_run=dry_run, sha256=sha256)
    return issues.report(created, dry_run=dry_run, sha256=sha256)


__all__ = ["tasklist_import"]
