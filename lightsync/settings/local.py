"""Local development and `make demo`: the embedded default, with the Lightspeed sandbox."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

DEBUG = env.bool("DEBUG", default=True)

# The sandbox is a stand-in for Lightspeed: it exists in local and test settings only, never in
# production's INSTALLED_APPS or URLs.
INSTALLED_APPS = [*INSTALLED_APPS, "integrations.lightspeed_sandbox"]

# A development key so tokens can be stored without configuring one; production requires its own.
FIELD_ENCRYPTION_KEY = env.list(
    "FIELD_ENCRYPTION_KEY", default=["bGlnaHRzeW5jLWxvY2FsLWRldi1rZXktMzJieXRlcyE="]
)
