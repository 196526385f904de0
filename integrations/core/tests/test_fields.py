import pytest
from cryptography.fernet import Fernet
from django.db import connection

from integrations.commerce.models import Company
from integrations.core.fields import DecryptionError, encrypted_fields_reencrypt
from integrations.lightspeed.models import LightspeedSettings

pytestmark = pytest.mark.django_db


def raw_refresh_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT refresh_token FROM lightspeed_lightspeedsettings WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def ls_settings():
    company = Company.objects.create(name="Encrypted Co")
    ls = LightspeedSettings.objects.get(company=company)  # created with the company
    ls.refresh_token = "r-secret-value"
    ls.save()
    return ls


def test_tokens_are_not_readable_in_the_database(ls_settings):
    stored = raw_refresh_token(ls_settings.pk)
    assert "r-secret-value" not in stored
    assert LightspeedSettings.objects.get(pk=ls_settings.pk).refresh_token == "r-secret-value"


def test_values_written_with_an_old_key_still_read_after_rotation(ls_settings, settings):
    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode(), old_key]
    assert LightspeedSettings.objects.get(pk=ls_settings.pk).refresh_token == "r-secret-value"


def test_reencrypting_moves_every_secret_to_the_newest_key(ls_settings, settings):
    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]

    assert encrypted_fields_reencrypt() >= 1

    settings.FIELD_ENCRYPTION_KEY = [new_key]
    assert LightspeedSettings.objects.get(pk=ls_settings.pk).refresh_token == "r-secret-value"


def test_a_secret_without_its_key_fails_loudly_instead_of_reading_as_empty(ls_settings, settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError):
        LightspeedSettings.objects.get(pk=ls_settings.pk)


def test_an_empty_secret_stays_empty(ls_settings):
    ls_settings.refresh_token = ""
    ls_settings.save()
    assert raw_refresh_token(ls_settings.pk) == ""


def test_the_reencrypt_command_lets_the_old_key_be_dropped(ls_settings, settings):
    from io import StringIO

    from django.core.management import call_command

    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    out = StringIO()
    call_command("reencrypt_fields", stdout=out)
    assert "Re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    assert LightspeedSettings.objects.get(pk=ls_settings.pk).refresh_token == "r-secret-value"


def test_reencrypting_never_overwrites_a_token_renewed_while_it_runs(ls_settings, settings, monkeypatch):
    # A renewal commits between the rotation's read of the row and its write: the renewed token
    # must survive, not be replaced by the rotated copy of the old one.
    from integrations.core import fields

    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode(), old_key]
    read_row = fields._raw_row

    def read_then_renew(*args, **kwargs):
        raw = read_row(*args, **kwargs)
        LightspeedSettings.objects.filter(pk=ls_settings.pk).update(refresh_token="r-renewed")
        return raw

    monkeypatch.setattr(fields, "_raw_row", read_then_renew)
    encrypted_fields_reencrypt()

    assert LightspeedSettings.objects.get(pk=ls_settings.pk).refresh_token == "r-renewed"
