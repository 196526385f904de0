"""General Settings refuse bad free text with a clear message and save nothing: the Redirect URI
(a URL, https:// unless to this machine, at most 500 characters, no fragment) and a bound on every
free-text setting. One rule each, in the service (`connection/services/settings.py`), which the
form uses."""
# ruff: noqa: F811 - pytest fixtures imported from pages_support are parameters of the tests

from __future__ import annotations

import html

import pytest

from integrations.lightspeed.connection.services.settings import (
    CLIENT_SECRET_MAX_LENGTH,
    SettingsChangeError,
    lightspeed_settings_save,
)
from integrations.lightspeed.models import LightspeedSettings

from .pages_support import (  # noqa: F401 - fixtures
    browser,
    merchant_user,
    post,
    settings_form_data,
    settings_url,
    store,
)

OWN_CALLBACK = "http://testserver/lightspeed/oauth/callback/"  # SITE_URL in these tests


def save(browser, store, **changes):
    url = settings_url(store.settings)
    return post(browser, url, settings_form_data(store.refresh(), **changes), token_from=url + "?edit=1")


def refused_with(response, message: str) -> None:
    assert response.status_code == 200  # the form again
    page = html.unescape(response.content.decode())
    assert message in page, page[page.find("errorlist") - 200 : page.find("errorlist") + 400]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://evil.example/cb/<script>alert(1)</script>", "holds only the characters of a URL"),
        ('https://lightsync.example.com/cb/"onmouseover=alert(1)', "holds only the characters of a URL"),
        ("https://lightsync.example.com/lightspeed/oauth/callback/ x", "holds only the characters of a URL"),
        ("http://evil.example/cb/", "must start with https:// (http:// is only for localhost and 127.0.0.1)"),
        ("https://lightsync.example.com/lightspeed/oauth/callback/#top", "cannot contain a # fragment"),
        ("https://" + "a" * 490 + ".example/cb/", "at most 500 characters"),
        (
            "javascript:alert(1)",
            "Enter the full callback URL, like http://testserver/lightspeed/oauth/callback/",
        ),
        ("lightsync.example.com/cb", "Enter the full callback URL"),
        ("https://lightsync.example.com:port/cb", "Enter the full callback URL"),
        ("https://user:secret@lightsync.example.com/cb", "cannot contain a user name or password"),
    ],
)
def test_a_bad_redirect_uri_is_refused_with_a_clear_message_and_nothing_is_saved(
    browser, store, uri, message
):
    before = store.refresh().redirect_uri

    refused_with(save(browser, store, redirect_uri=uri, use_company_address=True), message)

    stored = store.refresh()
    assert (stored.redirect_uri, stored.use_company_address) == (before, False)


@pytest.mark.parametrize(
    "uri",
    [
        "https://lightsync.example.com/lightspeed/oauth/callback/",
        "https://lightsync/lightspeed/oauth/callback/",  # an internal single-label host
        "http://localhost:8000/lightspeed/oauth/callback/",
        "http://127.0.0.1:8000/lightspeed/oauth/callback/",
        OWN_CALLBACK,  # this deployment's own, as SITE_URL builds it
    ],
)
def test_a_good_redirect_uri_is_saved(browser, store, uri):
    response = save(browser, store, redirect_uri=uri)

    assert response.status_code == 302
    assert store.refresh().redirect_uri == uri


def test_the_service_refuses_a_bad_redirect_uri_whoever_calls_it(store, merchant_user):
    with pytest.raises(SettingsChangeError) as refused:
        lightspeed_settings_save(
            settings_obj=store.settings,
            actor=merchant_user,
            changes={"redirect_uri": "http://evil.example/cb/"},
        )

    assert refused.value.field == "redirect_uri"
    assert "https://" in refused.value.message
    assert store.refresh().redirect_uri == OWN_CALLBACK


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("client_id", 200),
        ("client_secret", CLIENT_SECRET_MAX_LENGTH),
        ("account_id", 32),
        ("redirect_uri", 500),
    ],
)
def test_every_free_text_setting_is_bounded_with_a_clear_message(browser, store, field, limit):
    before = LightspeedSettings.objects.filter(pk=store.settings.pk).values().get()
    huge = "https://x.example/" + "a" * 99_982 if field == "redirect_uri" else "7" * 100_000

    response = save(browser, store, **{field: huge})

    refused_with(response, f"at most {limit} characters")
    assert (
        "(it has 100000)" in response.content.decode() or "(this one has 100000)" in response.content.decode()
    )
    assert LightspeedSettings.objects.filter(pk=store.settings.pk).values().get() == before


def test_a_client_secret_of_a_real_length_is_saved(browser, store):
    secret = "f" * 64  # Lightspeed's client secrets are 64 characters

    assert save(browser, store, client_id="own-client", client_secret=secret).status_code == 302
    assert store.refresh().client_secret == secret


def test_the_service_refuses_an_oversized_client_secret_whoever_calls_it(store, merchant_user):
    with pytest.raises(SettingsChangeError) as refused:
        lightspeed_settings_save(
            settings_obj=store.settings, actor=merchant_user, changes={"client_secret": "s" * 100_000}
        )

    assert refused.value.field == "client_secret"
    assert refused.value.message == (
        f"Client Secret has at most {CLIENT_SECRET_MAX_LENGTH} characters (this one has 100000)."
    )
    assert store.refresh().client_secret == ""
