from django.urls import path

from . import views

app_name = "networks"

urlpatterns = [
    path("", views.NetworkListView.as_view(), name="list"),
    path("<slug:slug>/", views.NetworkDetailView.as_view(), name="detail"),
    path("<slug:slug>/membership/", views.membership, name="membership"),
    path(
        "<slug:slug>/membership/export.<slug:file_format>",
        views.membership_export_view,
        name="membership-export",
    ),
]
