"""Renaming a company to a name another company holds: a merchant is told the name cannot be used,
never that another company has it; ops staff, who see every company, get the real reason."""

import pytest

from integrations.commerce.models import Company
from integrations.commerce.tests.admin_helpers import admin_url, changeform_data

pytestmark = pytest.mark.django_db

NEUTRAL = "This name cannot be used; choose another."
REAL_REASON = "Company with this Name already exists."


def rename(client, company, name):
    page = client.get(admin_url("company", "change", company.pk))
    return client.post(admin_url("company", "change", company.pk), {**changeform_data(page), "name": name})


def test_a_merchant_renaming_to_another_companys_name_gets_a_neutral_refusal(merchant_client, alpha, bravo):
    response = rename(merchant_client, alpha.company, "Bravo Traders")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [NEUTRAL]
    page = response.content.decode()
    assert NEUTRAL in page and "already exists" not in page
    assert Company.objects.get(pk=alpha.company.pk).name == "Alpha Traders"


def test_a_merchant_renames_their_company_to_a_free_name(merchant_client, alpha):
    assert rename(merchant_client, alpha.company, "Alpha Outfitters").status_code == 302
    assert Company.objects.get(pk=alpha.company.pk).name == "Alpha Outfitters"


def test_ops_staff_see_the_real_reason(ops_client, alpha, bravo):
    response = rename(ops_client, alpha.company, "Bravo Traders")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [REAL_REASON]
