from django.urls import path

from . import meeting_views, views

app_name = "networks"

urlpatterns = [
    path("", views.NetworkListView.as_view(), name="list"),
    # Meetings and attendance (before "<slug>/", so that no network's slug can hide them).
    path("meetings/national-webinars/", meeting_views.webinar_list, name="webinar-list"),
    path("meetings/attendance-import/", meeting_views.attendance_import, name="attendance-import"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", meeting_views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/attendance/add/", meeting_views.attendance_add, name="attendance-add"),
    path(
        "meetings/<int:pk>/attendance/<int:attendance_pk>/remove/",
        meeting_views.attendance_remove_view,
        name="attendance-remove",
    ),
    path("meetings/<int:pk>/teams-import/", meeting_views.teams_import, name="teams-import"),
    path(
        "meetings/<int:pk>/attendance.<slug:file_format>",
        meeting_views.attendance_export_view,
        name="attendance-export",
    ),
    path("meetings/<int:pk>/unmatched/<int:row_pk>/", meeting_views.unmatched_match_view, name="unmatched-match"),
    path(
        "meetings/<int:pk>/unmatched/<int:row_pk>/dismiss/",
        meeting_views.unmatched_dismiss_view,
        name="unmatched-dismiss",
    ),
    path("<slug:slug>/", views.NetworkDetailView.as_view(), name="detail"),
    path("<slug:slug>/membership/", views.membership, name="membership"),
    path(
        "<slug:slug>/membership/export.<slug:file_format>",
        views.membership_export_view,
        name="membership-export",
    ),
    path("<slug:slug>/meetings/", meeting_views.meeting_list, name="meeting-list"),
    path("<slug:slug>/meetings/new/", meeting_views.meeting_create, name="meeting-create"),
]
