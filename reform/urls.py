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

# Under /api/ every error is JSON in the API's shape, whatever the settings module; elsewhere, the pages.
handler400 = "reform.errors.bad_request"
handler403 = "reform.errors.permission_denied"
handler404 = "reform.errors.page_not_found"
handler500 = "reform.errors.server_error"
