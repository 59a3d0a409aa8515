from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        from compliance import coverage
        from msonet import generations
        from officers.models import Person

        from . import membership, organisation_views

        # The directory's pages of organisations show their coverage and their named officers' names.
        generations.watch(organisation_views.GENERATION, [*coverage.TABLES, Person._meta.db_table])
        # A network's membership page shows its members' coverage, named officers and open flags.
        generations.watch(membership.GENERATION, membership.TABLES)
