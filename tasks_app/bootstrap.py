"""Reference data every database needs: the five domains, the role groups and the trace chain head.

Migrations load the same rows; this idempotent helper restores them after a test flush.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from reform.roles import Role
from trail.models import TraceHead

from .models import Domain

DOMAINS = [
    ("party_gov", "党政机关整体智治"),
    ("digital_gov", "数字政府"),
    ("digital_economy", "数字经济"),
    ("digital_society", "数字社会"),
    ("digital_law", "数字法治"),
]


def ensure_reference_data() -> None:
    for order, (code, name) in enumerate(DOMAINS, start=1):
        Domain.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    TraceHead.objects.get_or_create(pk=1)
