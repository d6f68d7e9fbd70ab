"""Routes of the task API (mounted under /api/ by ``reform.api_urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="api-task-list"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="api-task-detail"),
    *[
        path(f"tasks/<int:pk>/transitions/{name}/", view.as_view(), name=f"api-task-transition-{name}")
        for name, view in views.TRANSITION_VIEWS.items()
    ],
    # Any other name: 404 in the error shape (not in the schema: the names above are the whole set).
    path("tasks/<int:pk>/transitions/<str:name>/", views.UnknownTransitionView.as_view(), name="api-task-transition"),
    path("tasks/<int:pk>/trace/", views.TaskTraceView.as_view(), name="api-task-trace"),
    path("tasks/<int:pk>/instructions/", views.TaskInstructionsView.as_view(), name="api-task-instructions"),
    path("tasks/<int:pk>/notices/", views.TaskNoticesView.as_view(), name="api-task-notices"),
    path("tasks/<int:pk>/feedback/", views.TaskFeedbackView.as_view(), name="api-task-feedback"),
    path("tasks/<int:pk>/problems/", views.TaskProblemsView.as_view(), name="api-task-problems"),
    path("tasks/<int:pk>/corrections/", views.TaskCorrectionsView.as_view(), name="api-task-corrections"),
    path("tasks/<int:pk>/extensions/", views.TaskExtensionsView.as_view(), name="api-task-extensions"),
    path("tasks/<int:pk>/evaluations/", views.TaskEvaluationsView.as_view(), name="api-task-evaluations"),
    path("instructions/<int:pk>/answer/", views.InstructionAnswerView.as_view(), name="api-instruction-answer"),
    path("instructions/<int:pk>/review/", views.InstructionReviewView.as_view(), name="api-instruction-review"),
    path("notices/<int:pk>/lift/", views.NoticeLiftView.as_view(), name="api-notice-lift"),
    path("problems/<int:pk>/answer/", views.ProblemAnswerView.as_view(), name="api-problem-answer"),
    path("extensions/<int:pk>/decide/", views.ExtensionDecideView.as_view(), name="api-extension-decide"),
    path("ranking/", views.RankingView.as_view(), name="api-ranking"),
    path("notifications/", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="api-notification-read"),
    path("tasklist/import/", views.TasklistImportView.as_view(), name="api-tasklist-import"),
    path("tasklist/export/", views.TasklistExportView.as_view(), name="api-tasklist-export"),
]
