from django.apps import AppConfig


class LightspeedConfig(AppConfig):
    name = "integrations.lightspeed"
    label = "lightspeed"
    verbose_name = "Lightspeed POS"
