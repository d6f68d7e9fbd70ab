from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("指标体系")

    def ready(self) -> None:
        # Django's place for start-up imports: declaring the event types registers them for the timeline.
        from . import events  # noqa: F401
