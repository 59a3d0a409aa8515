from django.urls import path

from . import expectation_views, profile_views, views

app_name = "organisations"

urlpatterns = [
    path("", views.DirectoryView.as_view(), name="directory"),
    path("search.json", views.search_json, name="search-json"),
    # Who must name an officer and who covers whom: the national lead's (before the ODS code patterns).
    path("coverage-rules/", expectation_views.coverage_rules, name="coverage-rules"),
    path("coverage-rules/covers/add/", expectation_views.cover_add, name="cover-add"),
    path("coverage-rules/covers/<int:pk>/end/", expectation_views.cover_end, name="cover-end"),
    path("<str:ods_code>/", profile_views.OrganisationProfileView.as_view(), name="detail"),
    # Key contacts and the board director, kept by the organisation's named officers.
    path("<str:ods_code>/contacts/", profile_views.key_contacts, name="key-contacts"),
    path("<str:ods_code>/contacts/add/", profile_views.key_contact_add, name="key-contact-add"),
    path("<str:ods_code>/contacts/<int:pk>/", profile_views.key_contact_edit, name="key-contact-edit"),
    path("<str:ods_code>/contacts/<int:pk>/remove/", profile_views.key_contact_remove, name="key-contact-remove"),
    path("<str:ods_code>/board-director/", profile_views.board_director, name="board-director"),
    path("<str:ods_code>/expectations/", expectation_views.organisation_expectations, name="expectations"),
    # Proposals for the medication safety team, approved by the national lead (officers.team).
    path("<str:ods_code>/team/propose/", profile_views.team_propose, name="team-propose"),
]
