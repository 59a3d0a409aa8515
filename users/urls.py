from django.urls import path

from . import views

app_name = "users"

# Mounted under /accounts/ beside django-allauth's own pages.
urlpatterns = [
    path("email/resend-confirmation/", views.resend_confirmation, name="resend-confirmation"),
    path("my-data/", views.my_data, name="my-data"),
    path("my-data/download/", views.my_data_download, name="my-data-download"),
]
