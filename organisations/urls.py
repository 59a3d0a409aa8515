from django.urls import path

from . import profile_views, views

app_name = "organisations"

urlpatterns = [
    path("", views.DirectoryView.as_view(), name="directory"),
    path("search.json", views.search_json, name="search-json"),
    path("<str:ods_code>/", profile_views.OrganisationProfileView.as_view(), name="detail"),
    # Key contacts and the board director, kept by the organisation's named officers.
    path("<str:ods_code>/contacts/", profile_views.key_contacts, name="key-contacts"),
    path("<str:ods_code>/contacts/add/", profile_views.key_contact_add, name="key-contact-add"),
    path("<str:ods_code>/contacts/<int:pk>/", profile_views.key_contact_edit, name="key-contact-edit"),
    path("<str:ods_code>/contacts/<int:pk>/remove/", profile_views.key_contact_remove, name="key-contact-remove"),
    path("<str:ods_code>/board-director/", profile_views.board_director, name="board-director"),
    # Proposals for the medication safety team, approved by the national lead (officers.team).
    path("<str:ods_code>/team/propose/", profile_views.team_propose, name="team-propose"),
]
