from django.urls import path

from . import views

app_name = "registrations"

# Under /people/, beside the officers' pages: the applicant's pages, then the national lead's queue.
urlpatterns = [
    path("register/", views.registration_start, name="start"),
    path("register/<str:ods_code>/", views.registration_create, name="create"),
    path("me/registrations/", views.registration_list, name="list"),
    path("me/registrations/<int:pk>/", views.registration_detail, name="detail"),
    path("me/registrations/<int:pk>/sent/", views.registration_submitted, name="submitted"),
    path("me/registrations/<int:pk>/withdraw/", views.registration_withdraw_view, name="withdraw"),
    path("requests/registrations/", views.registration_queue, name="queue"),
    path("requests/registrations/<int:pk>/", views.registration_review, name="review"),
    path("requests/registrations/<int:pk>/approve/", views.registration_approve_view, name="approve"),
    path("requests/registrations/<int:pk>/reject/", views.registration_reject_view, name="reject"),
]
