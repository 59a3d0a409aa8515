from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        from compliance import coverage
        from compliance.models import Flag
        from handovers.models import Handover
        from msonet import generations
        from networks.models import Membership, Network
        from officers.models import Person, TeamProposal
        from organisations.models import KeyContact

        from . import membership, organisation_views, profile_views

        # The directory's pages of organisations show their coverage and their named officers' names.
        generations.watch(organisation_views.GENERATION, [*coverage.TABLES, Person._meta.db_table])
        # The organisation page shows its officers, handovers, flags, networks, key contacts and team
        # proposals; who may see them rests on the appointments, networks and memberships.
        page_models = (Person, Network, Membership, Handover, Flag, KeyContact, TeamProposal)
        page_tables = [*coverage.TABLES, *(model._meta.db_table for model in page_models)]
        generations.watch(profile_views.GENERATION, page_tables)
        # A network's membership page shows its members' coverage, named officers and open flags.
        generations.watch(membership.GENERATION, membership.TABLES)
