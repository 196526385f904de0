from django.apps import AppConfig


class SandboxStoreConfig(AppConfig):
    """The sandbox's own tables.

    Installed only by the sandbox's settings module (`integrations.lightspeed_sandbox.settings`),
    never by LightSync's, so LightSync's databases (and test databases) never hold these tables.
    """

    name = "integrations.lightspeed_sandbox.store"
    label = "lightspeed_sandbox_store"
    verbose_name = "Lightspeed sandbox store"
    default_auto_field = "django.db.models.AutoField"
