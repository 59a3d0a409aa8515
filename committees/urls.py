from django.urls import path

from . import views

app_name = "committees"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:ods_code>/", views.detail, name="detail"),
    path("<str:ods_code>/edit/", views.edit, name="edit"),
    path("<str:ods_code>/members/add/", views.member_add, name="member-add"),
    path("<str:ods_code>/members/<int:pk>/", views.member_edit, name="member-edit"),
    path("<str:ods_code>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("<str:ods_code>/terms-of-reference/", views.terms_of_reference_download, name="terms-of-reference"),
    path(
        "<str:ods_code>/terms-of-reference/upload/",
        views.terms_of_reference_upload,
        name="terms-of-reference-upload",
    ),
    path(
        "<str:ods_code>/terms-of-reference/remove/",
        views.terms_of_reference_remove,
        name="terms-of-reference-remove",
    ),
]
