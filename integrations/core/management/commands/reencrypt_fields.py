"""Re-encrypts every secret with the newest FIELD_ENCRYPTION_KEY, so older keys can be dropped."""

from django.core.management.base import BaseCommand

from integrations.core.fields import encrypted_fields_reencrypt


class Command(BaseCommand):
    help = "Rewrite encrypted fields with the first key of FIELD_ENCRYPTION_KEY (after adding a new key)."

    def handle(self, *args, **options):
        changed = encrypted_fields_reencrypt()
        self.stdout.write(f"Re-encrypted {changed} row(s) with the newest key.")
