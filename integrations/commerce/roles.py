"""Roles: the "Merchants" and "Ops staff" groups and the model permissions each one holds.

Each app declares what its models grant, and the groups are brought in line after every
`migrate` (post_migrate), so a new model's permissions reach existing groups without a data
migration. Another app registers its models from its AppConfig.ready():

    from integrations.commerce import roles

    class LightspeedConfig(AppConfig):
        def ready(self):
            roles.grant(roles.MERCHANTS, "lightspeed.LightspeedSettings", ["view", "change"])
            roles.grant(roles.MERCHANTS, "lightspeed.ShopMapping", ["view", "add", "change", "delete"])
            roles.grant(roles.OPS_STAFF, "lightspeed.SyncRun", roles.ALL)
            # custom Meta permissions by codename:
            roles.grant(roles.OPS_STAFF, "lightspeed.LightspeedSettings", ["fetch_token"])

Actions are "view", "add", "change", "delete" or a custom permission codename. Grants only add
permissions; removing one from the registry does not revoke it from existing groups (on purpose:
operators may have granted extra permissions by hand).

Remember the wall: a permission lets a merchant reach a model's admin pages, and the admin's
`CompanyScopedAdmin` (integrations.core.admin) limits them to their own company's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from integrations.commerce.models import OPS_STAFF_GROUP

MERCHANTS = "Merchants"
OPS_STAFF = OPS_STAFF_GROUP
ALL = ("view", "add", "change", "delete")
DEFAULT_ACTIONS = frozenset(ALL)

# group name -> model label ("app_label.ModelName", lower-cased) -> actions
_grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))


def grant(group: str, model_label: str, actions: Iterable[str]) -> None:
    """Declare that `group` holds these permissions on a model. Idempotent."""
    if isinstance(actions, str):
        raise TypeError("actions must be a list of action names, not a string")
    _grants[group][model_label.lower()].update(actions)


def grants() -> dict[str, dict[str, set[str]]]:
    """The registry as it stands (a copy), for reading and tests."""
    return {group: {label: set(acts) for label, acts in models.items()} for group, models in _grants.items()}


def _codename(action: str, model_name: str) -> str:
    return f"{action}_{model_name}" if action in DEFAULT_ACTIONS else action


@transaction.atomic
def roles_apply(*, app_label: str | None = None, using: str = "default") -> None:
    """Create the groups and give them their registered permissions (those that exist yet).

    With `app_label`, only that app's grants are applied: post_migrate runs once per app, right
    after that app's permissions were created.
    """
    from django.contrib.auth.models import Group, Permission

    for group_name in (MERCHANTS, OPS_STAFF, *_grants):
        Group.objects.using(using).get_or_create(name=group_name)
    for group_name, models in _grants.items():
        wanted: dict[str, set[str]] = defaultdict(set)  # app_label -> codenames
        for label, actions in models.items():
            model_app, model_name = label.split(".", 1)
            if app_label is not None and model_app != app_label:
                continue
            wanted[model_app].update(_codename(action, model_name) for action in actions)
        if not wanted:
            continue
        group = Group.objects.using(using).get(name=group_name)
        for model_app, codenames in wanted.items():
            permissions = Permission.objects.using(using).filter(
                content_type__app_label=model_app, codename__in=codenames
            )
            group.permissions.add(*permissions)


def apply_after_migrate(sender, app_config=None, using: str = "default", apps=None, **kwargs) -> None:
    """post_migrate receiver: connected in CommerceConfig.ready()."""
    if app_config is None:
        return
    if apps is not None:
        # As Django's own create_permissions does: after a partial migrate (`migrate contenttypes`
        # on a fresh database) the auth tables may not exist yet.
        try:
            apps.get_model("auth", "Group")
            apps.get_model("auth", "Permission")
        except LookupError:
            return
    label = app_config.label
    if label == "commerce" or any(m.split(".", 1)[0] == label for models in _grants.values() for m in models):
        roles_apply(app_label=label, using=using)


# --- What commerce grants ---------------------------------------------------------------------
# Merchants keep their own company's catalogue, warehouses, orders and returns. Stock moves only
# through the stock service, so they read stock levels and the ledger and may adjust stock (the
# admin's adjust form calls `stock_adjust`). They edit their company's details but never create
# or delete companies, and they never manage users or groups.
grant(MERCHANTS, "commerce.Company", ["view", "change"])
grant(MERCHANTS, "commerce.Warehouse", ALL)
grant(MERCHANTS, "commerce.Product", ALL)
grant(MERCHANTS, "commerce.StockLevel", ["view", "adjust_stock"])
grant(MERCHANTS, "commerce.StockLedgerEntry", ["view"])
grant(MERCHANTS, "commerce.Order", ALL)
grant(MERCHANTS, "commerce.OrderLine", ALL)
grant(MERCHANTS, "commerce.OrderPayment", ALL)
grant(MERCHANTS, "commerce.Return", ALL)
grant(MERCHANTS, "commerce.ReturnLine", ALL)

# Ops staff work across companies: everything merchants do, plus companies, users and groups.
for _label, _actions in list(_grants[MERCHANTS].items()):
    grant(OPS_STAFF, _label, _actions)
grant(OPS_STAFF, "commerce.Company", ALL)
grant(OPS_STAFF, "commerce.User", ALL)
grant(OPS_STAFF, "auth.Group", ALL)
# Login throttling (django-axes): ops staff see failed logins and unlock one by deleting its access
# attempts. Merchants never see them: they hold other people's user names and addresses.
grant(OPS_STAFF, "axes.AccessAttempt", ["view", "delete"])
grant(OPS_STAFF, "axes.AccessFailureLog", ["view", "delete"])
grant(OPS_STAFF, "axes.AccessLog", ["view", "delete"])
