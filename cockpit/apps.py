from celery.signals import task_postrun
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    name = "cockpit"
    verbose_name = _("领导驾驶舱")

    def ready(self) -> None:
        from . import signals

        task_postrun.connect(signals.after_task, weak=False, dispatch_uid="cockpit-after-light-recompute")
