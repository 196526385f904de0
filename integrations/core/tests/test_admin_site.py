"""Every admin page carries LightSync's name and icon."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from integrations.commerce.tests.factories import MerchantFactory


@pytest.mark.django_db
def test_admin_pages_name_lightsync_and_link_its_icon_so_no_favicon_request_goes_unanswered(client):
    client.force_login(MerchantFactory())

    html = client.get(reverse("admin:index")).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert ">LightSync</a>" in html  # the header still comes from the admin site
    assert finders.find("favicon.svg") is not None
