"""The task list (任务清单), its five systems, the supervision objects and the trace (留痕)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import OrgUnit

from .workflow import (
    FINAL_STATUSES,
    CorrectionLifecycle,
    CorrectionState,
    ExtensionLifecycle,
    ExtensionState,
    InstructionLifecycle,
    InstructionState,
    NoticeLifecycle,
    NoticeState,
    ProblemLifecycle,
    ProblemState,
    ShareLifecycle,
    ShareState,
    Status,
    TaskWorkflow,
)

if TYPE_CHECKING:
    pass


class Programme(models.Model):
    """A programme (专项/计划): the three-year action plan, the year's key tasks, meeting decisions,
    instructions turned into tasks. A task belongs to one; codes are unique within it, and each has
    its own list of domains (``domains``). ``owner`` is the unit whose office runs it (none: the city's)."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("行动计划")
        ANNUAL = "annual", _("年度重点工作")
        MEETING = "meeting", _("会议议定事项")
        INSTRUCTION = "instruction", _("批示件")
        OTHER = "other", _("其他专项")

    name = models.CharField(_("专项名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.PLAN)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programmes",
        help_text=_("由哪一级的督查室组织推进；不填为市级"),
    )
    is_default = models.BooleanField(_("默认专项"), default=False, help_text=_("未指定专项时使用；只能有一个"))
    is_active = models.BooleanField(_("进行中"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("专项")
        verbose_name_plural = _("专项")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_programme")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name


class Domain(models.Model):
    """A reform domain (领域) of one programme: the default programme's five come from a data migration;
    each programme has its own list (the lists differ between plans and years)."""

    programme = models.ForeignKey(Programme, verbose_name=_("专项"), on_delete=models.PROTECT, related_name="domains")
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("领域名称"), max_length=32)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("改革领域")
        verbose_name_plural = _("改革领域")
        ordering = ["programme_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="domain_code_per_programme"),
            models.UniqueConstraint(fields=["programme", "name"], name="domain_name_per_programme"),
        ]

    def __str__(self) -> str:
        return self.name


class Rag(models.TextChoices):
    RED = "red", _("红灯")
    YELLOW = "yellow", _("黄灯")
    GREEN = "green", _("绿灯")
    NONE = "none", _("无")


# Red first: a light's seriousness as a number, for "worst first" orderings (and their index).
SEVERITY = models.Case(
    models.When(rag=Rag.RED, then=models.Value(3)),
    models.When(rag=Rag.YELLOW, then=models.Value(2)),
    models.When(rag=Rag.GREEN, then=models.Value(1)),
    default=models.Value(0),
    output_field=models.IntegerField(),
)


class Task(TaskWorkflow):
    """A major task, sub-task or item (事项): a node of a programme's task tree, addressed by its dotted code.

    The code is unique within the programme and extends its parent's ("2.3.1" under "2.3"): the
    services derive it, so a subtree is a code prefix and the ancestors are the code's prefixes.
    ``sort_key`` zero-pads each segment so "1.10" sorts after "1.9".
    """

    programme = models.ForeignKey(Programme, verbose_name=_("专项"), on_delete=models.PROTECT, related_name="tasks")
    code = models.CharField(_("编号"), max_length=64)
    sort_key = models.CharField(_("排序键"), max_length=255, db_index=True, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("层级"), default=1, editable=False)
    is_leaf = models.BooleanField(_("是否事项"), default=True, editable=False)
    title = models.CharField(_("任务名称"), max_length=300)
    description = models.TextField(_("任务描述"), blank=True)
    domain = models.ForeignKey(Domain, verbose_name=_("领域"), on_delete=models.PROTECT, related_name="tasks")
    is_governance = models.BooleanField(_("治理维度"), default=False)
    is_service = models.BooleanField(_("服务维度"), default=False)
    lead_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_tasks"
    )
    cooperating_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("配合单位"), blank=True, related_name="cooperating_tasks"
    )
    owner_name = models.CharField(_("责任人"), max_length=64, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tasks",
    )
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分管领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_tasks_in_charge",
        help_text=_("督办和升级提醒发给分管领导；分管领导可查看并督办该任务"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_tasks",
        editable=False,
    )
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True, help_text=_("为空表示持续推进"))
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True, editable=False)
    weight = models.DecimalField(_("权重"), max_digits=8, decimal_places=2, default=Decimal("1"))
    progress = models.DecimalField(
        _("进度(%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    rag = models.CharField(_("红黄绿灯"), max_length=8, choices=Rag.choices, default=Rag.GREEN, db_index=True)
    rag_reason = models.CharField(_("亮灯原因"), max_length=500, blank=True)
    rag_rules = models.JSONField(_("触发规则"), default=list, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["sort_key"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="task_weight_positive"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="task_progress_0_100"),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(start_date__isnull=True) | Q(deadline__gte=F("start_date")),
                name="task_deadline_after_start",
            ),
            models.UniqueConstraint(fields=["programme", "code"], name="task_code_per_programme"),
        ]
        indexes = [
            models.Index(fields=["lead_unit", "status"], name="task_lead_status"),
            models.Index(fields=["deadline"], name="task_deadline"),
            models.Index(fields=["domain", "rag"], name="task_domain_rag"),
            # The /tasks/ sorts other than by code: an index each, so a keyset page is an index scan.
            models.Index(fields=["progress", "sort_key"], name="task_progress_sort"),
            models.Index(SEVERITY.desc(), F("sort_key"), name="task_severity_sort"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/tasks/{self.pk}/"

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def dimensions(self) -> list[str]:
        return [d for d, on in (("governance", self.is_governance), ("service", self.is_service)) if on]

    @property
    def dimension_label(self) -> str:
        return "、".join(label for label, on in (("治理", self.is_governance), ("服务", self.is_service)) if on)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def children_all_final(self) -> bool:
        """Whether every child is closed or cancelled (an ``open_children`` annotation answers without a query)."""
        annotated = self.__dict__.get("open_children")
        if annotated is not None:
            return not annotated
        return not self.children.exclude(status__in=list(FINAL_STATUSES)).exists()

    def open_children_codes(self) -> list[str]:
        return list(
            self.children.exclude(status__in=list(FINAL_STATUSES)).order_by("sort_key").values_list("code", flat=True)
        )


class Milestone(models.Model):
    """工作体系: a dated milestone of a task."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("里程碑"), max_length=300)
    due_date = models.DateField(_("计划完成"), null=True, blank=True)
    done_at = models.DateField(_("实际完成"), null=True, blank=True)

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    """工作体系: a work measure (工作举措)."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="measures")
    text = models.TextField(_("工作举措"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("工作举措")
        verbose_name_plural = _("工作举措")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class TaskForce(models.Model):
    """工作体系: a task force (专班)."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="task_forces")
    name = models.CharField(_("专班名称"), max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True)
    members_text = models.CharField(_("成员说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("工作专班")
        verbose_name_plural = _("工作专班")

    def __str__(self) -> str:
        return self.name


class TaskShare(ShareLifecycle, models.Model):
    """分工: what one cooperating unit does for an item, by when; it reports on it and gets its notices."""

    State = ShareState

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="shares")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("配合单位"), on_delete=models.PROTECT, related_name="shares")
    work = models.TextField(_("分工内容"))
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.TextField(_("完成情况"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("配合单位分工")
        verbose_name_plural = _("配合单位分工")
        ordering = ["task_id", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="share_one_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.work[:30]}"

    @property
    def overdue(self) -> bool:
        return self.state == ShareState.OPEN and self.deadline is not None and self.deadline < timezone.localdate()


class Policy(models.Model):
    """政策体系: a policy document, stored once and linked to any number of tasks."""

    title = models.CharField(_("政策名称"), max_length=300)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    issued_on = models.DateField(_("发布日期"), null=True, blank=True)
    url = models.URLField(_("链接"), blank=True)
    tasks = models.ManyToManyField(Task, verbose_name=_("关联任务"), related_name="policies", blank=True)

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        constraints = [models.UniqueConstraint(fields=["title", "doc_number"], name="policy_title_docno_unique")]

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_number}）" if self.doc_number else self.title


class EvaluationCriterion(models.Model):
    """评价体系: a weighted scoring criterion, per task (or per domain when ``task`` is empty)."""

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="criteria"
    )
    domain = models.ForeignKey(
        Domain, verbose_name=_("领域"), null=True, blank=True, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("评价标准"), max_length=300)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2, default=Decimal("1"))
    max_score = models.DecimalField(_("满分"), max_digits=6, decimal_places=2, default=Decimal("100"))
    method = models.CharField(_("评分方法"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("评价标准")
        verbose_name_plural = _("评价标准")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


# --- Supervision objects (督办对象) -------------------------------------------------------------


class Instruction(InstructionLifecycle, models.Model):
    """批示: a leader's instruction on a task, answered by the target units."""

    State = InstructionState

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="instructions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批示领导"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("批示内容"))
    due_date = models.DateField(_("回复时限"))
    target_units = models.ManyToManyField(OrgUnit, verbose_name=_("承办单位"), related_name="instructions")
    response = models.TextField(_("回复内容"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("批示时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class Notice(NoticeLifecycle, models.Model):
    """督办通知: 提醒 → 催办 → 督办 → 挂牌督办. Listed supervision stays open until the office lifts it."""

    class Level(models.IntegerChoices):
        REMIND = 1, _("提醒")
        URGE = 2, _("催办")
        SUPERVISE = 3, _("督办")
        LISTED = 4, _("挂牌督办")

    State = NoticeState

    class Source(models.TextChoices):
        MANUAL = "manual", _("人工督办")
        OVERDUE = "overdue", _("任务逾期")
        INSTRUCTION = "instruction", _("批示逾期未回复")
        REPORT = "report", _("旬报未按时报送")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="notices")
    level = models.PositiveSmallIntegerField(_("督办等级"), choices=Level.choices)
    reason = models.TextField(_("督办事由"))
    deadline = models.DateField(_("办理时限"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("督办时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}：{self.reason[:30]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.task_id}/{instance.sha256[:2]}/{instance.sha256}"


class Feedback(models.Model):
    """进度反馈 / 旬报: a periodic progress report. It updates progress, never the state."""

    class Kind(models.TextChoices):
        TENDAY = "tenday", _("旬报")
        PROGRESS = "progress", _("进度反馈")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="feedbacks")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.TENDAY)
    period_end = models.DateField(_("报告期"), null=True, blank=True)
    text = models.TextField(_("工作进展"))
    progress = models.DecimalField(
        _("进度(%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("报送时间"), auto_now_add=True)
    on_time = models.BooleanField(_("按时报送"), default=True)

    class Meta:
        verbose_name = _("进度反馈")
        verbose_name_plural = _("进度反馈")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="feedback_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} {self.get_kind_display()}"


class Attachment(models.Model):
    """An uploaded file, stored outside the web root and served only through an access-checked view."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="attachments")
    feedback = models.ForeignKey(Feedback, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class ProblemReport(ProblemLifecycle, models.Model):
    """问题反馈: a unit raises a problem; the office or a leader answers or resolves it."""

    State = ProblemState

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="problems")
    text = models.TextField(_("问题描述"))
    unit = models.ForeignKey(OrgUnit, verbose_name=_("反馈单位"), on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    response = models.TextField(_("答复"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("问题反馈")
        verbose_name_plural = _("问题反馈")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class CorrectionOrder(CorrectionLifecycle, models.Model):
    """整改: created by ``request_correction``; the unit's next completion report must answer it."""

    State = CorrectionState

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="corrections")
    requirement = models.TextField(_("整改要求"))
    due_date = models.DateField(_("整改时限"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("整改情况"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.requirement[:40]


class ExtensionRequest(ExtensionLifecycle, models.Model):
    """延期申请: approval moves the deadline and is traced with the old and new values."""

    State = ExtensionState

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="extensions")
    old_deadline = models.DateField(_("原时限"), null=True, blank=True)
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task.code} → {self.requested_deadline}"


class Evaluation(models.Model):
    """评价: scores per criterion, a weighted total and a grade."""

    class Grade(models.TextChoices):
        EXCELLENT = "优", _("优")
        GOOD = "良", _("良")
        FAIR = "中", _("中")
        POOR = "差", _("差")

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="evaluations")
    period_end = models.DateField(_("评价期"))
    scores = models.JSONField(_("各项得分"))
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=2, choices=Grade.choices)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("评价意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task.code} {self.total}（{self.grade}）"


class Notification(models.Model):
    """An in-app message (the bell); email and webhooks are sent from the same record."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(
        Task, verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title
