from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "integrations.commerce"
    label = "commerce"
    verbose_name = "Orders and inventory"
