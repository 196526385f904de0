import pytest
from django.db import transaction

from integrations.commerce.models import Company, User
from integrations.core.changelog import changelog_for, changelog_record, field_values
from integrations.lightspeed.models import LightspeedSettings

pytestmark = pytest.mark.django_db


def test_each_changed_field_is_logged_with_who_old_and_new_and_secrets_only_as_changed():
    company = Company.objects.create(name="Log Co")
    user = User.objects.create_user("merchant", company=company)
    ls = LightspeedSettings.objects.get(company=company)  # created with the company
    ls.account_id = "1"
    ls.save()
    before = field_values(ls, ["enabled", "account_id", "refresh_token", "client_id"])

    with transaction.atomic():
        ls.enabled = True
        ls.account_id = "100001"
        ls.refresh_token = "very-secret"
        ls.save()
        changelog_record(instance=ls, before=before, company=company, actor=user)

    rows = {r.field: r for r in changelog_for(ls)}
    assert set(rows) == {"enabled", "account_id", "refresh_token"}
    assert (rows["enabled"].old_value, rows["enabled"].new_value) == ("No", "Yes")
    assert (rows["account_id"].old_value, rows["account_id"].new_value) == ("1", "100001")
    assert rows["account_id"].field_label == "AccountID"
    assert (rows["refresh_token"].old_value, rows["refresh_token"].new_value) == ("", "changed")
    assert all(r.actor == user and r.company == company for r in rows.values())
    assert "very-secret" not in str([(r.old_value, r.new_value) for r in rows.values()])


@pytest.mark.django_db(transaction=True)
def test_a_change_cannot_be_logged_outside_its_transaction():
    company = Company.objects.create(name="Log Co 2")
    ls = LightspeedSettings.objects.get(company=company)
    with pytest.raises(RuntimeError):
        changelog_record(instance=ls, before={"enabled": False})
