from django.urls import path

from . import expectation_views

app_name = "organisations"

urlpatterns = [
    # Who must name an officer and who covers whom: the national lead's (included before the
    # directory's organisation pages, so that no ODS code pattern hides them).
    path("coverage-rules/", expectation_views.coverage_rules, name="coverage-rules"),
    path("coverage-rules/covers/add/", expectation_views.cover_add, name="cover-add"),
    path("coverage-rules/covers/<int:pk>/end/", expectation_views.cover_end, name="cover-end"),
]
