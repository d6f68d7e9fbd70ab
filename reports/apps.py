from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("督查通报与报告")

    def ready(self) -> None:
        # Django's place for start-up imports: declaring the event types registers them for the timeline.
        from . import events  # noqa: F401
