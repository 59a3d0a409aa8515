from django.urls import path

from . import views

app_name = "users"

# Mounted under /accounts/ beside django-allauth's own pages.
urlpatterns = [
    path("email/resend-confirmation/", views.resend_confirmation, name="resend-confirmation"),
]
