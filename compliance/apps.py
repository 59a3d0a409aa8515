from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self):
        from msonet.health import register_readiness_check

        from .readiness import scan_check

        register_readiness_check("compliance_scan", scan_check)
