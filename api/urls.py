from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from . import views

app_name = "api"

urlpatterns = [
    path("organisations/", views.OrganisationList.as_view(), name="organisations"),
    path("organisations/<str:ods_code>/", views.OrganisationDetail.as_view(), name="organisation"),
    path("networks/", views.NetworkList.as_view(), name="networks"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    # Any other address under /api/v1/: a JSON 404, as the API's other errors.
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not-found"),
]
