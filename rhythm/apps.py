from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RhythmConfig(AppConfig):
    name = "rhythm"
    verbose_name = _("督办节奏与消息渠道")

    def ready(self) -> None:
        # Django's place for start-up imports: declaring the event types registers them for the timeline.
        from . import events  # noqa: F401
