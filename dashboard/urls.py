from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("regions/<str:code>/", views.region, name="region"),
]
