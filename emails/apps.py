from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails"

    def ready(self):
        from msonet.health import register_readiness_check

        from .readiness import outbox_check

        register_readiness_check("email_outbox", outbox_check)
