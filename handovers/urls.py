from django.urls import path

from . import closure_views, views

app_name = "handovers"

urlpatterns = [
    path("", views.handover_list, name="list"),
    path("start/<int:appointment_pk>/", views.handover_start_view, name="start"),
    path("<int:pk>/", views.handover_detail, name="detail"),
    path("<int:pk>/tick/", views.handover_tick_view, name="tick"),
    path("<int:pk>/untick/", views.handover_untick_view, name="untick"),
    path("<int:pk>/complete/", views.handover_complete_view, name="complete"),
    # Closed organisations with officers still in post: the national lead moves or ends them.
    path("closures/", closure_views.closure_list, name="closures"),
    path("closures/<str:ods_code>/", closure_views.closure_detail, name="closure"),
    path("closures/<str:ods_code>/successor/", closure_views.closure_successor_view, name="closure-successor"),
    path("closures/<str:ods_code>/move/", closure_views.closure_move_view, name="closure-move"),
    path("closures/<str:ods_code>/end/", closure_views.closure_end_view, name="closure-end"),
]
