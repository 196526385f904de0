"""The demo account at the sandbox as a test sees it: a register that rings up and refunds sales
through the API (`Pos`), and Demo Outfitters connected to it as `make demo` leaves it.

Used by the order download's end-to-end and replay tests and by `benchmarks/bench_orders.py`.
"""

from __future__ import annotations

import json
import time

import requests

from integrations.commerce.models import Company
from integrations.commerce.services.demo import demo_seed
from integrations.core import demo_catalogue as catalogue
from integrations.lightspeed.connection.services.demo import lightspeed_demo_setup
from integrations.lightspeed.jobs.registry import JOBS
from integrations.lightspeed.jobs.runner import job_run
from integrations.lightspeed.models import SyncRun
from integrations.lightspeed.tests.sandbox_helpers import connect_with_minted_tokens

CASH = 1


class Pos:
    """A register at the sandbox: rings up, refunds (its own token, as another app would)."""

    def __init__(self, server):
        self.server = server
        self.url = f"{server.api_url}/API/V3/Account/{server.account_id}"
        self.http = requests.Session()
        token = server.mint_tokens(scope="employee:all")["access_token"]
        self.http.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def call(self, method: str, path: str, body=None) -> dict:
        for _ in range(50):
            response = self.http.request(method, f"{self.url}/{path}", json=body, timeout=30)
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        assert response.status_code == 200, response.text
        return response.json()

    def ring_up(self, item_ids: list[int], *, shop_id: int = 1, quantity: int = 1) -> dict:
        body = {
            "shopID": shop_id,
            "registerID": self.register_of(shop_id),
            "employeeID": 1,
            "completed": True,
            "SaleLines": {"SaleLine": [{"itemID": i, "unitQuantity": quantity} for i in item_ids]},
            "SalePayments": {"SalePayment": {"paymentTypeID": CASH, "amount": "5000.00"}},
        }
        return self.call("POST", "Sale.json", body)["Sale"]

    def register_of(self, shop_id: int) -> int:
        if not hasattr(self, "_registers"):
            registers = self.call("GET", "Register.json")["Register"]
            self._registers = {}
            for register in registers if isinstance(registers, list) else [registers]:
                self._registers.setdefault(int(register["shopID"]), int(register["registerID"]))
        return self._registers[shop_id]

    def lines_of(self, sale_id: int) -> list[dict]:
        sale = self.call("GET", f"Sale/{sale_id}.json?load_relations=%5B%22SaleLines%22%5D")["Sale"]
        lines = sale["SaleLines"]["SaleLine"]
        return lines if isinstance(lines, list) else [lines]

    def partial_refund(self, sale: dict, line: dict) -> dict:
        body = {
            "shopID": sale["shopID"],
            "registerID": sale["registerID"],
            "employeeID": sale["employeeID"],
            "completed": True,
            "SaleLines": {
                "SaleLine": {
                    "itemID": line["itemID"],
                    "unitQuantity": -1,
                    "unitPrice": line["unitPrice"],
                    "parentSaleLineID": line["saleLineID"],
                }
            },
            "SalePayments": {"SalePayment": {"paymentTypeID": CASH, "amount": "-5000.00"}},
        }
        return self.call("POST", "Sale.json", body)["Sale"]

    def full_refund(self, sale_id: int) -> dict:
        body = {"SalePayments": {"SalePayment": {"paymentTypeID": CASH}}}
        return self.call("POST", f"Sale/{sale_id}/refund.json", body)["Sale"]

    def all_sales(self) -> list[dict]:
        """Every sale, read independently of LightSync's client."""
        out, url = [], f"{self.url}/Sale.json"
        params = {"load_relations": json.dumps(["SaleLines"]), "sort": "saleID", "limit": 100}
        while url:
            response = self.http.get(url, params=params, timeout=30)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            body = response.json()
            records = body.get("Sale") or []
            out.extend(records if isinstance(records, list) else [records])
            url, params = body["@attributes"]["next"], None
        return out


def connect_demo(server) -> Company:
    """Demo Outfitters as `make demo` leaves it after Fetch Token: connected with minted tokens,
    its shops (mapped by `lightspeed_demo_setup` before any token) downloaded in place."""
    demo_seed(password="demo")
    company = Company.objects.get(name=catalogue.DEMO_COMPANY)
    assert lightspeed_demo_setup()["shops_mapped"] == len(catalogue.DEMO_SHOPS)
    connect_with_minted_tokens(
        server,
        company,
        client_id="",  # the deployment's client (pointed at the sandbox by `point_at`)
    )
    run = job_run(company_id=company.pk, job=JOBS["shops"])
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.error
    assert not any(run.counts.get(f"shops_{k}") for k in ("created", "updated", "archived")), run.counts
    return company


def catalogue_item_ids() -> list[int]:
    return [
        i.item_id for i in catalogue.demo_lightspeed_items() if i.custom_sku and any(q for _, q in i.qoh)
    ][:8]
