"""The register's pages: the organisation directory and profile, a person's page, the networks and
their membership. Their paths sit beside those of the apps whose records they show."""

from django.urls import path

from . import history_views, network_views, organisation_views, person_views, profile_views, views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/", organisation_views.DirectoryView.as_view(), name="organisations"),
    path("organisations/search.json", organisation_views.search_json, name="search-json"),
    path("organisations/<str:ods_code>/", profile_views.OrganisationProfileView.as_view(), name="organisation"),
    # Key contacts and the board director, kept by the organisation's named officers.
    path(
        "organisations/<str:ods_code>/history/",
        history_views.organisation_history_view,
        name="organisation-history",
    ),
    path("organisations/<str:ods_code>/contacts/", profile_views.key_contacts, name="key-contacts"),
    path("organisations/<str:ods_code>/contacts/add/", profile_views.key_contact_add, name="key-contact-add"),
    path("organisations/<str:ods_code>/contacts/<int:pk>/", profile_views.key_contact_edit, name="key-contact-edit"),
    path(
        "organisations/<str:ods_code>/contacts/<int:pk>/remove/",
        profile_views.key_contact_remove,
        name="key-contact-remove",
    ),
    path("organisations/<str:ods_code>/board-director/", profile_views.board_director, name="board-director"),
    # Proposals for the medication safety team, approved by the national lead (officers.team).
    path("organisations/<str:ods_code>/team/propose/", profile_views.team_propose, name="team-propose"),
    path("people/<int:pk>/", person_views.PersonDetailView.as_view(), name="person"),
    path("people/<int:pk>/history/", history_views.person_history_view, name="person-history"),
    path("networks/", network_views.NetworkListView.as_view(), name="networks"),
    path("networks/<slug:slug>/", network_views.NetworkDetailView.as_view(), name="network"),
    path("networks/<slug:slug>/membership/", network_views.membership, name="membership"),
    path(
        "networks/<slug:slug>/membership/export.<slug:file_format>",
        network_views.membership_export_view,
        name="membership-export",
    ),
]
