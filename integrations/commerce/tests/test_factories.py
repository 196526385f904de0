import pytest

from integrations.commerce.tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [
        factories.OrderLineFactory,
        factories.OrderPaymentFactory,
        factories.ReturnLineFactory,
        factories.ProductFactory,
        factories.WarehouseFactory,
    ],
)
def test_factories_build_valid_records_of_a_single_company(factory):
    record = factory()
    record.full_clean()
    companies = set()
    for name in ("company", "order", "order_return", "product", "warehouse"):
        related = getattr(record, name, None)
        if related is not None:
            companies.add(related.pk if name == "company" else related.company_id)
    assert len(companies) == 1


def test_merchant_and_ops_factories_give_the_roles(alpha):
    merchant = factories.MerchantFactory(company=alpha.company)
    ops = factories.OpsStaffFactory()
    assert merchant.has_perm("commerce.view_product") and not merchant.is_ops_staff
    assert ops.is_ops_staff and ops.has_perm("commerce.add_company")
