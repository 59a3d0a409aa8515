"""Messages to the network: writing, checking the audience, sending, and reading them."""

from django.urls import path

from . import views

app_name = "mailings"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.read, name="read"),
]
