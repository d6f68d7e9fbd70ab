"""Routes of the account API (mounted under /api/ by ``reform.api_urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("units/", views.UnitListView.as_view(), name="api-units"),
    path("units/tree/", views.UnitTreeView.as_view(), name="api-units-tree"),
]
