from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo and scale data (``load_demo``, ``seed_scale``): development only, not installed in production."""

    name = "demo"
    verbose_name = _("演示与压测数据")
