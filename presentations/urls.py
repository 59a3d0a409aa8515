"""Offers to present at a national webinar: an officer's offers and the lead's queue."""

from django.urls import path  # noqa: F401

app_name = "presentations"

urlpatterns = []
