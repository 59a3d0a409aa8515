"""The compliance pages, mounted at the root (msonet.urls) so that each keeps its address: the flag
board, one organisation's duties and exceptions beside its other organisation pages, and the closed
organisations with officers still in post beside the handovers."""

from django.urls import path

from . import closure_views, expectation_views, views

app_name = "compliance"

urlpatterns = [
    path("flags/", views.board, name="board"),
    path("flags/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # One organisation's duties: the national lead's.
    path(
        "organisations/<str:ods_code>/expectations/",
        expectation_views.organisation_expectations,
        name="expectations",
    ),
    # Closed organisations with officers still in post: the national lead moves or ends them.
    path("handovers/closures/", closure_views.closure_list, name="closures"),
    path("handovers/closures/<str:ods_code>/", closure_views.closure_detail, name="closure"),
    path(
        "handovers/closures/<str:ods_code>/successor/",
        closure_views.closure_successor_view,
        name="closure-successor",
    ),
    path("handovers/closures/<str:ods_code>/move/", closure_views.closure_move_view, name="closure-move"),
    path("handovers/closures/<str:ods_code>/end/", closure_views.closure_end_view, name="closure-end"),
]
