from django.urls import path

from . import views

app_name = "handovers"

urlpatterns = [
    path("", views.handover_list, name="list"),
    path("start/<int:appointment_pk>/", views.handover_start_view, name="start"),
    path("<int:pk>/", views.handover_detail, name="detail"),
    path("<int:pk>/tick/", views.handover_tick_view, name="tick"),
    path("<int:pk>/untick/", views.handover_untick_view, name="untick"),
    path("<int:pk>/complete/", views.handover_complete_view, name="complete"),
]
