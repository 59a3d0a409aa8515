from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self):
        from msonet import generations
        from msonet.health import register_readiness_check

        from . import coverage
        from .models import FLAGS_GENERATION, Flag
        from .readiness import scan_check

        register_readiness_check("compliance_scan", scan_check)
        generations.watch(coverage.GENERATION, coverage.TABLES)
        generations.watch(FLAGS_GENERATION, [Flag._meta.db_table])
