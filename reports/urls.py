from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_page, name="page"),
    path("list/", views.report_list, name="list"),
    path("<int:report_id>/download/", views.report_download, name="download"),
    path("<int:report_id>/retry/", views.report_retry, name="retry"),
]
