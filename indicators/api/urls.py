"""Routes of the indicator API (mounted under /api/ by ``reform.api_urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tasks/<int:pk>/indicators/", views.TaskIndicatorsView.as_view(), name="api-task-indicators"),
    path("indicators/<int:pk>/measurements/", views.MeasurementsView.as_view(), name="api-measurements"),
    path("measurements/import/", views.MeasurementImportView.as_view(), name="api-measurements-import"),
]
