from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.DirectoryView.as_view(), name="directory"),
    path("search.json", views.search_json, name="search-json"),
    path("<str:ods_code>/", views.OrganisationDetailView.as_view(), name="detail"),
]
