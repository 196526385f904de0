from django.core.management.base import BaseCommand

from integrations.commerce.services.demo import demo_seed


class Command(BaseCommand):
    help = "Create (idempotently) the demo companies Demo Outfitters and Harbor Goods and their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default="demo", help="Password of every demo login (default: demo)."
        )

    def handle(self, *args, password: str, **options):
        result = demo_seed(password=password)
        created = ", ".join(f"{n} {what}" for what, n in result.created.items()) or "nothing"
        self.stdout.write(f"Created: {created}.")
        self.stdout.write(f"Logins (password: {password}):")
        for login in result.logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<10} {login.company}")
