from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrailConfig(AppConfig):
    """留痕: the append-only, hash-chained trace every write of the product ends in (the ground floor)."""

    name = "trail"
    verbose_name = _("留痕")
