from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "integrations.core"
    label = "core"
    verbose_name = "LightSync core"
