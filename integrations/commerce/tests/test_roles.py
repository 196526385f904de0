import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from integrations.commerce import roles

pytestmark = pytest.mark.django_db


def codenames(group_name: str) -> set[str]:
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migrate_leaves_both_groups_with_their_permissions():
    merchants = codenames(roles.MERCHANTS)
    assert {"view_product", "add_product", "change_order", "view_stocklevel", "adjust_stock"} <= merchants
    assert not {"add_stocklevel", "change_stocklevel", "change_stockledgerentry", "add_company"} & merchants
    assert not {c for c in merchants if c.endswith("_user") or c.endswith("_group")}
    ops = codenames(roles.OPS_STAFF)
    assert merchants <= ops
    assert {"add_company", "change_user", "add_user", "change_group"} <= ops


def test_roles_apply_twice_changes_nothing():
    before = {g.name: codenames(g.name) for g in Group.objects.all()}
    roles.roles_apply()
    roles.roles_apply()
    assert {g.name: codenames(g.name) for g in Group.objects.all()} == before


def test_another_app_registers_its_models_and_migrate_grants_them(monkeypatch):
    # As the Lightspeed app will: a grant from its AppConfig.ready(), applied on post_migrate.
    monkeypatch.setattr(roles, "_grants", roles.defaultdict(lambda: roles.defaultdict(set)))
    roles.grant(roles.MERCHANTS, "contenttypes.ContentType", ["view"])
    roles.grant("Auditors", "commerce.Order", ["view"])
    call_command("migrate", "contenttypes", verbosity=0)  # fires post_migrate for every app
    content_type = ContentType.objects.get_for_model(apps.get_model("contenttypes", "ContentType"))
    view = Permission.objects.get(content_type=content_type, codename="view_contenttype")
    assert view in Group.objects.get(name=roles.MERCHANTS).permissions.all()
    assert codenames("Auditors") == {"view_order"}


def test_a_grant_needs_a_list_of_actions():
    with pytest.raises(TypeError):
        roles.grant(roles.MERCHANTS, "commerce.Order", "view")


def test_a_migrate_that_has_not_reached_auth_yet_is_left_alone():
    class NoAuthYet:
        def get_model(self, app_label, model_name):
            raise LookupError(model_name)

    Group.objects.all().delete()
    roles.apply_after_migrate(sender=None, app_config=apps.get_app_config("commerce"), apps=NoAuthYet())
    assert not Group.objects.exists()
