"""Helpers for the sandbox's own tests: they talk to it over real HTTP only."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from integrations.lightspeed_sandbox.testing import SandboxServer


class Api:
    """A bare HTTP caller with a bearer token, V3 paths by default."""

    def __init__(self, server: SandboxServer, token: str, *, legacy: bool = False):
        self.server = server
        self.token = token
        self.session = requests.Session()
        self.prefix = "/API" if legacy else "/API/V3"

    def url(self, resource: str) -> str:
        return f"{self.server.api_url}{self.prefix}/Account/{self.server.account_id}/{resource}.json"

    def call(
        self, method: str, resource: str, *, params: Any = None, json: Any = None, token: str | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.session.request(
            method, self.url(resource), params=params, json=json, headers=headers, timeout=60
        )

    def get(self, resource: str, **params: Any) -> dict:
        response = self.call("GET", resource, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, resource: str, body: dict) -> requests.Response:
        return self.call("POST", resource, json=body)

    def put(self, resource: str, body: dict) -> requests.Response:
        return self.call("PUT", resource, json=body)


def as_list(value: Any) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox, sandbox.mint_tokens()["access_token"])


@pytest.fixture
def demo_api(demo_sandbox: SandboxServer) -> Api:
    return Api(demo_sandbox, demo_sandbox.mint_tokens()["access_token"])


def item_body(description: str = "Widget", *, qoh: dict[int, int] | None = None, **fields: Any) -> dict:
    body: dict[str, Any] = {"description": description, **fields}
    if qoh:
        body["ItemShops"] = {"ItemShop": [{"shopID": shop, "qoh": q} for shop, q in qoh.items()]}
    return body
