from django.urls import path

from . import views

app_name = "audit"

# Mounted under /accounts/ beside the account pages.
urlpatterns = [
    path("my-data/", views.my_data, name="my-data"),
    path("my-data/download/", views.my_data_download, name="my-data-download"),
]
