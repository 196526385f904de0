"""Login throttling (django-axes): five failed logins lock that user out from that address for a
cool-off, with a page that says so; ops staff unlock by deleting the access attempts; merchants
never see them. The suite runs with throttling off (lightsync/settings/test.py); these tests turn
it on."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from integrations.commerce.tests.factories import PASSWORD, MerchantFactory
from integrations.core.login_throttle import client_ip_address

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
HOME = "/admin/"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    return settings


def log_in(username: str, password: str, address: str = ATTACKER, client: Client | None = None):
    client = client or Client()
    return client.post(
        f"{LOGIN}?next={HOME}",
        {"username": username, "password": password, "next": HOME},
        REMOTE_ADDR=address,
    )


def fail_five_times(username: str, address: str = ATTACKER):
    return [log_in(username, "not-the-password", address) for _ in range(5)]


def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_refused_with_a_message(throttled, merchant):
    answers = fail_five_times(merchant.username)
    assert [a.status_code for a in answers[:4]] == [200] * 4  # the login form, "enter a correct…"

    refused = log_in(merchant.username, PASSWORD)

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many failed login attempts: logging in is locked." in page
    assert "Try again in 15 minutes" in page
    assert "LightSync" in page  # the admin's look, not a bare error
    assert "_auth_user_id" not in refused.client.session


def test_the_same_user_from_another_address_and_another_user_from_that_address_still_log_in(
    throttled, merchant, alpha
):
    colleague = MerchantFactory(username="alpha-colleague", company=alpha.company)
    fail_five_times(merchant.username)

    assert log_in(merchant.username, PASSWORD, ELSEWHERE).status_code == 302
    assert log_in(colleague.username, PASSWORD, ATTACKER).status_code == 302
    assert log_in(merchant.username, PASSWORD, ATTACKER).status_code == 429


def test_locking_by_user_or_address_locks_the_user_everywhere_and_the_address_for_everyone(
    throttled, merchant, alpha
):
    throttled.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # LOGIN_LOCKOUT_BY=user_or_ip
    colleague = MerchantFactory(username="alpha-colleague", company=alpha.company)
    fail_five_times(merchant.username)

    assert log_in(merchant.username, PASSWORD, ELSEWHERE).status_code == 429
    assert log_in(colleague.username, PASSWORD, ATTACKER).status_code == 429
    assert log_in(colleague.username, PASSWORD, ELSEWHERE).status_code == 302


def minutes_pass(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


def test_the_lock_lifts_after_the_cool_off_and_an_attempt_while_locked_starts_it_again(throttled, merchant):
    throttled.AXES_COOLOFF_TIME = timedelta(minutes=15)
    fail_five_times(merchant.username)

    minutes_pass(10)
    assert log_in(merchant.username, PASSWORD).status_code == 429  # 5 minutes early: starts again
    minutes_pass(10)
    assert log_in(merchant.username, PASSWORD).status_code == 429
    minutes_pass(16)
    assert log_in(merchant.username, PASSWORD).status_code == 302


def test_a_successful_login_forgets_the_failures_before_it(throttled, merchant):
    for _ in range(4):
        log_in(merchant.username, "not-the-password")
    assert log_in(merchant.username, PASSWORD).status_code == 302

    for _ in range(4):
        log_in(merchant.username, "not-the-password")
    assert log_in(merchant.username, PASSWORD).status_code == 302


def test_ops_staff_unlock_a_login_by_deleting_its_access_attempts(throttled, merchant, ops):
    fail_five_times(merchant.username)
    assert log_in(merchant.username, PASSWORD).status_code == 429
    ops_client = Client()
    ops_client.force_login(ops)

    listing = ops_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert merchant.username in listing.content.decode()
    attempt = AccessAttempt.objects.get(username=merchant.username)
    confirm = ops_client.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/")
    assert confirm.status_code == 200
    deleted = ops_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert not AccessAttempt.objects.filter(username=merchant.username).exists()
    assert log_in(merchant.username, PASSWORD).status_code == 302


def test_merchants_cannot_see_or_delete_access_attempts(throttled, merchant, alpha):
    victim = MerchantFactory(username="alpha-colleague", company=alpha.company)
    fail_five_times(victim.username)
    attempt = AccessAttempt.objects.get(username=victim.username)
    merchant_client = Client()
    merchant_client.force_login(merchant)

    assert merchant_client.get("/admin/axes/accessattempt/").status_code == 403
    deleting = merchant_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleting.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert "axes" not in merchant_client.get(HOME).content.decode().lower()


def test_the_suite_itself_runs_with_throttling_off(settings):
    # client.login() gives django-axes no request: the suite's many logins must not be counted.
    assert settings.AXES_ENABLED is False


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.2"),  # no proxy trusted: the header is the client's own words
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged first entry is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.2"),  # fewer entries than proxies: not through them all
        (1, "", "10.0.0.2"),
    ],
)
def test_the_login_address_is_read_behind_trusted_proxies_only(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip_address(request) == expected
