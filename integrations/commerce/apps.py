from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommerceConfig(AppConfig):
    name = "integrations.commerce"
    label = "commerce"
    verbose_name = "Orders and inventory"

    def ready(self) -> None:
        from integrations.commerce import roles

        # Runs once per app after `migrate` (and after a test database flush), so the groups
        # always hold the permissions that every app registered; see roles.py.
        post_migrate.connect(roles.apply_after_migrate, dispatch_uid="commerce.roles.apply_after_migrate")
