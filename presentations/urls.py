"""Offers to present at a national webinar: an officer's offers and the lead's queue."""

from django.urls import path

from . import views

app_name = "presentations"

# Under /presentations/: the officer's pages, then the national lead's queue.
urlpatterns = [
    path("offers/", views.offer_list, name="my-offers"),
    path("offers/new/", views.offer_create, name="offer-create"),
    path("offers/<int:pk>/", views.offer_detail, name="offer-detail"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw_view, name="offer-withdraw"),
    path("queue/", views.offer_queue, name="queue"),
    path("queue/<int:pk>/", views.offer_review, name="review"),
    path("queue/<int:pk>/accept/", views.offer_accept_view, name="accept"),
    path("queue/<int:pk>/decline/", views.offer_decline_view, name="decline"),
    path("queue/<int:pk>/move/", views.offer_move_view, name="move"),
]
