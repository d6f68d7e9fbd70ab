from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = _("任务清单与闭环督办")

    def ready(self) -> None:
        # Django's place for start-up imports: declaring the event types registers them for the timeline.
        from . import events  # noqa: F401
