"""Fixtures shared by every app's tests."""

pytest_plugins = ["integrations.lightspeed_sandbox.testing"]
