from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RhythmConfig(AppConfig):
    name = "rhythm"
    verbose_name = _("督办节奏与消息渠道")
