"""Reference data every database needs: the five domains, the default programme, the role groups and the
trace chain head.

Migrations load the same rows; this idempotent helper restores them after a test flush.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from reform.roles import Role
from trail.models import TraceHead

from .models import Domain, Programme

DEFAULT_PROGRAMME = "数字化改革行动计划"  # as migration 0012 names it
DOMAINS = [
    ("party_gov", "党政机关整体智治"),
    ("digital_gov", "数字政府"),
    ("digital_economy", "数字经济"),
    ("digital_society", "数字社会"),
    ("digital_law", "数字法治"),
]


def ensure_reference_data() -> None:
    programme = Programme.objects.filter(is_default=True).first()
    if programme is None:
        programme, _created = Programme.objects.get_or_create(
            name=DEFAULT_PROGRAMME, defaults={"short_name": "行动计划", "is_default": True}
        )
    for order, (code, name) in enumerate(DOMAINS, start=1):
        Domain.objects.get_or_create(programme=programme, code=code, defaults={"name": name, "order": order})
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    TraceHead.objects.get_or_create(pk=1)
