from django.urls import path

from . import office_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.task_list_page, name="task-list"),
    path("tasks/<int:task_id>/", views.task_detail_page, name="task-detail"),
    path("tasks/<int:task_id>/do/<slug:key>/", views.task_action, name="task-action"),
    path("tasks/<int:task_id>/do/<slug:key>/<int:obj_id>/", views.task_action, name="task-object-action"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications-read-all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/badge/", views.inbox_badge, name="notifications-badge"),
    path("office/", office_views.office_queue, name="office-queue"),
    path("office/assign/", office_views.bulk_assign, name="office-assign"),
    path("office/import/", office_views.import_page, name="office-import"),
    path("office/import/discard/", office_views.import_discard, name="office-import-discard"),
    path("office/export/", office_views.export_tasklist, name="office-export"),
]
