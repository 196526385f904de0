"""The issues queue: retry, map to a product, ignore — and resolving one replays what it held back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from integrations.commerce import roles
from integrations.commerce.models import Company, Product, User
from integrations.lightspeed.jobs.issues import IssueOutcome, issue_handler_register
from integrations.lightspeed.models import ProductLink, SyncIssue
from integrations.lightspeed.operations.services import issues as issue_services


@pytest.fixture
def merchant_client(client, connected):
    roles.roles_apply()
    user = User.objects.create_user("merchant", password="pw", company=connected.company, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.MERCHANTS))
    client.force_login(user)
    client.user = user
    return client


def _issue(company, kind="unmatched_item", key="210000042", **fields) -> SyncIssue:
    return SyncIssue.objects.create(company=company, kind=kind, key=key, message=f"{kind} {key}", **fields)


def _act(issue, action):
    return reverse("admin:lightspeed_syncissue_act", args=[issue.pk, action])


def test_retrying_a_failed_job_issue_queues_the_job(
    merchant_client, connected, monkeypatch, django_capture_on_commit_callbacks
):
    from integrations.lightspeed import tasks

    sent = []
    monkeypatch.setattr(tasks.lightspeed_download_shops, "apply_async", lambda *a, **kw: sent.append(kw))
    issue = _issue(connected.company, kind="shops_failed", key="shops")

    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(_act(issue, "retry"), follow=True)

    assert sent == [{"args": [connected.company_id], "kwargs": {"trigger": "manual"}}]
    assert "The shops job is queued; the issue resolves when it works again." in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.OPEN  # until the job works again


def test_a_registered_replay_resolves_the_issue_it_held_back(merchant_client, connected):
    replayed = []

    def replay(issue, actor):
        replayed.append((issue.key, actor.username))
        return IssueOutcome(True, "Sent again; Lightspeed took it.")

    issue_handler_register("test_write_refused", retry=replay)
    issue = _issue(connected.company, kind="test_write_refused", key="item 7")

    response = merchant_client.post(_act(issue, "retry"), follow=True)

    assert replayed == [("item 7", "merchant")]
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED and issue.resolved_by.username == "merchant"
    assert issue.resolution == "Retried by merchant: Sent again; Lightspeed took it."
    assert "Sent again; Lightspeed took it." in response.content.decode()


def test_retry_says_so_when_nothing_can_replay_an_issue(merchant_client, connected):
    issue = _issue(connected.company, kind="item_archived", key="5")

    response = merchant_client.post(_act(issue, "retry"), follow=True)

    assert "Nothing can replay a item archived issue yet" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.OPEN


def test_ignoring_an_issue_takes_it_off_the_dashboard_and_records_who(merchant_client, connected):
    issue = _issue(connected.company, kind="stock_shortfall", key="sale 9")
    dashboard = reverse("admin:lightspeed_dashboard_changelist")

    merchant_client.post(_act(issue, "ignore"), {"next": dashboard})

    issue.refresh_from_db()
    assert (issue.status, issue.resolution, issue.resolved_by.username) == (
        "ignored",
        "Ignored by merchant",
        "merchant",
    )
    assert "stock_shortfall sale 9" not in merchant_client.get(dashboard).content.decode()


def test_mapping_an_unmatched_item_links_it_to_the_product_and_resolves_the_issue(merchant_client, connected):
    product = Product.objects.create(company=connected.company, sku="TEE-RED-M", title="Red tee")
    issue = _issue(connected.company, key="210000042")

    page = merchant_client.get(_act(issue, "map"))
    assert "TEE-RED-M" in page.content.decode()
    response = merchant_client.post(_act(issue, "map"), {"product": product.pk}, follow=True)

    assert "Item 210000042 mapped to TEE-RED-M: 0 sale line(s) fixed" in response.content.decode()
    link = ProductLink.objects.get(product=product)
    assert (link.item_id, link.matched_by) == (210000042, ProductLink.MatchedBy.MANUAL)
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED and issue.resolved_by.username == "merchant"


def test_an_item_cannot_be_mapped_to_another_companys_product(merchant_client, connected):
    other = Company.objects.create(name="Harbor Goods")
    foreign = Product.objects.create(company=other, sku="HARBOR-1", title="Not yours")
    issue = _issue(connected.company)

    page = merchant_client.get(_act(issue, "map")).content.decode()
    merchant_client.post(_act(issue, "map"), {"product": foreign.pk})

    assert "HARBOR-1" not in page
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.OPEN and not ProductLink.objects.filter(product=foreign).exists()
    with pytest.raises(issue_services.IssueActionError, match="another company"):
        issue_services.issue_map_to_product(issue=issue, product=foreign)


def test_a_merchant_cannot_act_on_another_companys_issue(merchant_client, connected):
    other = Company.objects.create(name="Harbor Goods")
    issue = _issue(other, kind="stock_shortfall")

    response = merchant_client.post(_act(issue, "ignore"))

    assert response.status_code in (403, 404)
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.OPEN


def test_an_ignored_issue_is_still_counted_when_it_recurs(connected):
    from integrations.lightspeed.jobs.issues import sync_issue_record

    issue = _issue(connected.company, kind="sale_invalid", key="77")
    issue_services.issue_ignore(issue=issue)
    sync_issue_record(company_id=connected.company_id, kind="sale_invalid", key="77", message="again")

    issue.refresh_from_db()
    assert (issue.status, issue.count) == (SyncIssue.Status.IGNORED, 2)


def test_a_page_of_issues_is_recorded_in_three_statements_counting_ignored_and_reopening_resolved(
    connected, django_assert_num_queries
):
    from integrations.lightspeed.jobs.issues import sync_issues_record

    ignored = _issue(connected.company, kind="stock_shortfall", key="TEE-RED-M")
    issue_services.issue_ignore(issue=ignored)
    _issue(connected.company, kind="stock_shortfall", key="SOCK-GREY", status="resolved")

    with django_assert_num_queries(3):
        sync_issues_record(
            company_id=connected.company_id,
            kind="stock_shortfall",
            messages={"TEE-RED-M": "short 2", "SOCK-GREY": "short 1", "CAP-BLUE": "short 5"},
        )

    issues = {i.key: i for i in SyncIssue.objects.filter(company=connected.company, kind="stock_shortfall")}
    assert (issues["TEE-RED-M"].status, issues["TEE-RED-M"].count) == (SyncIssue.Status.IGNORED, 2)
    assert (issues["SOCK-GREY"].status, issues["SOCK-GREY"].count) == (SyncIssue.Status.OPEN, 2)
    assert (issues["CAP-BLUE"].status, issues["CAP-BLUE"].count, issues["CAP-BLUE"].message) == (
        SyncIssue.Status.OPEN,
        1,
        "short 5",
    )


def test_the_map_page_searches_products_by_sku_title_or_code(merchant_client, connected):
    Product.objects.create(
        company=connected.company, sku="SOCK-GREY", title="Trail socks, grey", upc="012345678905"
    )
    Product.objects.create(company=connected.company, sku="TEE-RED-M", title="Red tee")
    issue = _issue(connected.company)

    by_title = merchant_client.get(_act(issue, "map"), {"q": "socks"}).content.decode()
    by_upc = merchant_client.get(_act(issue, "map"), {"q": "012345678905"}).content.decode()

    assert "SOCK-GREY" in by_title and "TEE-RED-M" not in by_title
    assert "SOCK-GREY" in by_upc and "TEE-RED-M" not in by_upc


@pytest.fixture
def sale_replay(monkeypatch):
    """Records calls to the order download's sale_replay (its own tests run it against Lightspeed)."""
    from integrations.lightspeed.orders.services import replay as orders_replay

    calls = []

    def replay(*, company_id: int, sale_id: int) -> orders_replay.SaleReplayResult:
        calls.append((company_id, sale_id))
        return orders_replay.SaleReplayResult(sale_id=sale_id, imported=True, state="imported", counts={})

    monkeypatch.setattr(orders_replay, "sale_replay", replay)
    return calls


def test_retrying_an_unreadable_sale_fetches_it_again(merchant_client, connected, sale_replay):
    issue = _issue(connected.company, kind="sale_invalid", key="4321")

    response = merchant_client.post(_act(issue, "retry"), follow=True)

    assert sale_replay == [(connected.company_id, 4321)]
    assert "Sale 4321 fetched again from Lightspeed: sale 4321 is imported." in response.content.decode()


def test_the_dashboard_replays_one_sale_by_its_lightspeed_id(merchant_client, connected, sale_replay):
    dashboard = merchant_client.get(reverse("admin:lightspeed_dashboard_changelist")).content.decode()
    assert "Replay one sale by its Lightspeed sale ID" in dashboard

    response = merchant_client.post(
        reverse("admin:lightspeed_dashboard_replay_sale"),
        {"company": connected.company_id, "sale_id": "777"},
        follow=True,
    )
    refused = merchant_client.post(
        reverse("admin:lightspeed_dashboard_replay_sale"),
        {"company": connected.company_id, "sale_id": "7x"},
        follow=True,
    )

    assert sale_replay == [(connected.company_id, 777)]
    assert "Sale 777 replayed: sale 777 is imported." in response.content.decode()
    assert "Enter the Lightspeed sale ID (digits only)." in refused.content.decode()


def test_an_action_never_redirects_off_the_site(merchant_client, connected):
    issue = _issue(connected.company, kind="stock_shortfall", key="sale 10")

    response = merchant_client.post(_act(issue, "ignore"), {"next": "https://evil.example/phish"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
