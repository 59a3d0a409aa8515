from django.apps import AppConfig


class PresentationsConfig(AppConfig):
    name = "presentations"
    verbose_name = "offers to present"
