from django.urls import path

from . import views

app_name = "cockpit"

urlpatterns = [
    path("", views.cockpit_page, name="page"),
    path("instruct/", views.instruct, name="instruct"),
    path("supervise/", views.supervise, name="supervise"),
]
