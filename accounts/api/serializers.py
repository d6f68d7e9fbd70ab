"""Shapes of the account API: the token exchange, the current user and the units."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs.models import OrgUnit
from tasks_app.api.serializers import UnitRefSerializer

from ..models import Role


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, label=_("用户名"))
    password = serializers.CharField(
        max_length=256, label=_("密码"), trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("请求头 Authorization: Token <token>"))


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    role_label = serializers.CharField(allow_blank=True)
    unit = UnitRefSerializer(allow_null=True)
    unread_notifications = serializers.IntegerField()


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_code = serializers.CharField()
    level = serializers.ChoiceField(choices=OrgUnit.Level.choices)
    level_label = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text=_("上级单位 id；顶级单位为 null"))
    path = serializers.CharField(help_text=_("物化路径，如 /1/5/：某单位的下级单位路径以它的路径开头"))
    depth = serializers.IntegerField()


class UnitTreeSerializer(UnitSerializer):
    """A unit with its sub-units, recursively (the view builds the dicts; this describes them)."""

    children = serializers.SerializerMethodField()

    @extend_schema_field(lazy_serializer("accounts.api.serializers.UnitTreeSerializer")(many=True))
    def get_children(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        return obj["children"]
