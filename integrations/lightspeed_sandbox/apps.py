from django.apps import AppConfig


class LightspeedSandboxConfig(AppConfig):
    name = "integrations.lightspeed_sandbox"
    label = "lightspeed_sandbox"
    verbose_name = "Lightspeed sandbox"
