from django.contrib import admin
from django.urls import include, path

from reform import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("reform.api_urls")),
    path("cockpit/", include("cockpit.urls")),
    path("reports/", include("reports.urls")),
    path("", include("tasks_app.urls")),
]
