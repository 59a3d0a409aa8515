"""Messages to the network: writing, checking the audience, sending, and reading them."""

from django.urls import path  # noqa: F401

app_name = "mailings"

urlpatterns = []
