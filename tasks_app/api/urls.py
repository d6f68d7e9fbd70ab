"""Routes of the task API (mounted under /api/ by ``reform.api_urls``); the actions' routes come from the registry."""

from django.urls import path

from . import actions, views

urlpatterns = [
    path("programmes/", views.ProgrammeListView.as_view(), name="api-programmes"),
    path("tasks/", views.TaskListView.as_view(), name="api-task-list"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="api-task-detail"),
    *[path(route, view.as_view(), name=name) for route, view, name in actions.routes()],
    # Any other transition name: 404 in the error shape (not in the schema: the names above are the whole set).
    path(
        "tasks/<int:pk>/transitions/<str:name>/",
        actions.UnknownTransitionView.as_view(),
        name="api-task-transition",
    ),
    path("tasks/<int:pk>/trace/", views.TaskTraceView.as_view(), name="api-task-trace"),
    path("ranking/", views.RankingView.as_view(), name="api-ranking"),
    path("notifications/", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="api-notification-read"),
    path("tasklist/import/", views.TasklistImportView.as_view(), name="api-tasklist-import"),
    path("tasklist/export/", views.TasklistExportView.as_view(), name="api-tasklist-export"),
]
