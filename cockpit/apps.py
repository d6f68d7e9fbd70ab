from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

LIGHT_RECOMPUTE_TASK = "indicators.tasks.recompute_lights_nightly"


class CockpitConfig(AppConfig):
    name = "cockpit"
    verbose_name = _("领导驾驶舱")

    def ready(self) -> None:
        from celery.signals import task_postrun

        task_postrun.connect(_after_task, weak=False, dispatch_uid="cockpit-after-light-recompute")


def _after_task(sender=None, state=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """The nightly light recompute changes lights without trace entries: refresh the roll-ups after it."""
    if getattr(sender, "name", "") == LIGHT_RECOMPUTE_TASK and state == "SUCCESS":
        from .tasks import cockpit_after_lights

        cockpit_after_lights.apply()
