from django.urls import path

from . import views

app_name = "workspace"

urlpatterns = [
    path("", views.progress_list, name="progress"),
    path("applicability/", views.applicability, name="applicability"),
    path("home/hide/", views.checklist_hide_view, name="hide"),
    path("home/show/", views.checklist_show_view, name="show"),
    path("<int:pk>/", views.checklist_detail, name="checklist"),
    path("<int:pk>/<slug:item>/", views.item_detail, name="item"),
    path("<int:pk>/<slug:item>/undo/", views.item_undo, name="item-undo"),
]
