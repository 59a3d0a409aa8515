from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.board, name="board"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
