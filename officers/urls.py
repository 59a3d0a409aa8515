from django.urls import path

from . import team_views, views

app_name = "officers"

urlpatterns = [
    # Change of details: the officer's own pages, then the national lead's queue.
    path("me/change/", views.change_details, name="change-details"),
    path("me/change/sent/", views.change_sent, name="change-sent"),
    path("me/confirm/", views.confirm_details, name="confirm-details"),
    path("me/changes/", views.my_change_requests, name="my-change-requests"),
    path("me/changes/<int:pk>/", views.my_change_request, name="my-change-request"),
    path("me/changes/<int:pk>/withdraw/", views.change_withdraw, name="change-withdraw"),
    path("requests/changes/", views.change_queue, name="change-queue"),
    path("requests/changes/<int:pk>/", views.change_review, name="change-review"),
    path("requests/changes/<int:pk>/approve/", views.change_approve, name="change-approve"),
    path("requests/changes/<int:pk>/reject/", views.change_reject, name="change-reject"),
    # Proposals to an organisation's medication safety team (made from the organisation's page).
    path("requests/team/", team_views.team_queue, name="team-queue"),
    path("requests/team/<int:pk>/", team_views.team_review, name="team-review"),
    path("requests/team/<int:pk>/approve/", team_views.team_approve, name="team-approve"),
    path("requests/team/<int:pk>/reject/", team_views.team_reject, name="team-reject"),
    path("me/team-proposals/<int:pk>/withdraw/", team_views.team_withdraw, name="team-withdraw"),
]
