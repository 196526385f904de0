"""`manage.py lightspeed_sandbox`: runs the sandbox in its own process with its own settings."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from integrations.lightspeed_sandbox.server import add_arguments, argv_for, environment_for


class Command(BaseCommand):
    help = "Run the Lightspeed R-Series sandbox (OAuth + API V3) on its own port."
    # The sandbox runs none of LightSync's code: its checks must not keep the stand-in from starting.
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        if options.get("db"):
            options["db"] = os.path.abspath(options["db"])  # the server starts in the project root
        env = {**os.environ, **environment_for(options)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.BASE_DIR), env.get("PYTHONPATH", "")]))
        env.pop("DJANGO_SETTINGS_MODULE", None)
        argv = [sys.executable, "-m", "integrations.lightspeed_sandbox.server", *argv_for(options)]
        # Replace this process so that signals (Ctrl-C, honcho stopping) reach the server itself.
        os.chdir(settings.BASE_DIR)
        os.execve(sys.executable, argv, env)  # noqa: S606 - our own interpreter and module
