"""Meetings and their attendance, under /networks/ as they always were (included before the networks'
own URLs, so that no network's slug can hide /networks/meetings/...)."""

from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("meetings/national-webinars/", views.webinar_list, name="webinar-list"),
    path("meetings/attendance-import/", views.attendance_import, name="attendance-import"),
    path("meetings/<int:pk>/", views.meeting_detail, name="detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel_view, name="cancel"),
    path("meetings/upcoming/", views.upcoming, name="upcoming"),
    path("meetings/calendar/reset/", views.calendar_feed_reset_view, name="calendar-reset"),
    path("meetings/calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("meetings/<int:pk>/attendance/add/", views.attendance_add, name="attendance-add"),
    path(
        "meetings/<int:pk>/attendance/<int:attendance_pk>/remove/",
        views.attendance_remove_view,
        name="attendance-remove",
    ),
    path("meetings/<int:pk>/teams-import/", views.teams_import, name="teams-import"),
    path("meetings/<int:pk>/attendance.<slug:file_format>", views.attendance_export_view, name="attendance-export"),
    path("meetings/<int:pk>/unmatched/<int:row_pk>/", views.unmatched_match_view, name="unmatched-match"),
    path("meetings/<int:pk>/unmatched/<int:row_pk>/dismiss/", views.unmatched_dismiss_view, name="unmatched-dismiss"),
    path("<slug:slug>/meetings/", views.meeting_list, name="list"),
    path("<slug:slug>/meetings/new/", views.meeting_create, name="create"),
]
