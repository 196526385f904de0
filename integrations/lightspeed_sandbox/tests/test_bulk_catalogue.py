"""A bulk catalogue with a share of its items in matrices, as benchmarks seed it — over HTTP."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from integrations.lightspeed_sandbox.tests.conftest import as_list

pytestmark = pytest.mark.e2e


def _pages(server, account: dict, resource: str, **params) -> list[dict]:
    url = f"{server.api_url}/API/V3/Account/{account['accountID']}/{resource}.json"
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    rows: list[dict] = []
    while url:
        payload = requests.get(url, params=params, headers=headers, timeout=30).json()
        rows += as_list(payload.get(resource))
        url, params = payload["@attributes"]["next"], None
    return rows


def test_a_bulk_catalogue_puts_the_asked_share_of_items_in_matrices_of_the_asked_sizes(sandbox):
    (account,) = sandbox.add_accounts(1, shops=2, items=0)
    body = {"count": 300, "qoh": 3, "matrix_share": 0.5, "matrix_sizes": [6, 12], "seed": 7}
    result = sandbox.control("POST", f"accounts/{account['accountID']}/items", body)
    assert (result["created"], result["matrixItems"]) == (300, 150)
    # The same statements whatever the count: one INSERT per table.
    assert result["queries"]["inserts"] == 4

    items = _pages(sandbox, account, "Item", load_relations='["ItemAttributes"]')
    matrices = _pages(sandbox, account, "ItemMatrix")
    assert len(items) == 300 and len(matrices) == result["matrices"]
    sizes = Counter(i["itemMatrixID"] for i in items if i["itemMatrixID"] != "0")
    assert sum(sizes.values()) == 150
    assert all(6 <= n <= 12 for n in list(sizes.values())[:-1])  # the last one takes what is left
    by_matrix: dict[str, set[tuple]] = {}
    for item in items:
        if item["itemMatrixID"] != "0":
            values = tuple(item["ItemAttributes"][f"attribute{n}"] for n in (1, 2, 3))
            assert values not in by_matrix.setdefault(item["itemMatrixID"], set())
            by_matrix[item["itemMatrixID"]].add(values)
        else:
            assert "ItemAttributes" not in item
    assert {m["itemAttributeSetID"] for m in matrices} == {"1", "2", "3"}
    size_only = next(m for m in matrices if m["itemAttributeSetID"] == "2")
    assert "attribute1Values" not in size_only and size_only["attribute2Values"]


def test_the_seed_endpoint_builds_the_same_catalogue_and_refuses_a_bad_share(sandbox):
    result = sandbox.control("POST", "seed", {"catalogue": {"count": 40, "matrix_share": 1}})
    assert (result["created"], result["matrixItems"]) == (40, 40)
    response = requests.post(
        f"{sandbox.base_url}/_sandbox/seed", json={"catalogue": {"count": 5, "matrix_share": 2}}, timeout=30
    )
    assert response.status_code == 400
    assert "matrix_share must be a number from 0 to 1" in response.text
