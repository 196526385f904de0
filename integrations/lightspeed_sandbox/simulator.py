"""The POS simulator: `--simulate-sales N` rings up N completed sales a minute, and the odd refund.

Each sale goes through the same services as `POST Sale` then `PUT Sale` (ring up, then pay and
complete), as a register does, so stock, timestamps and totals behave exactly as for API sales.

`POST /_sandbox/simulator {"accounts": [ids] | "all" | "fleet", "sales_per_minute": R}` runs it
across many accounts instead: R sales a minute in each, the accounts' sales spread over the
minute (`"sales_per_minute": 0` stops it).

`POST /_sandbox/simulator {"paused": true}` pauses it between two sales (it answers once a sale
being rung up is finished), so a test can read a still shop; `{"paused": false}` resumes it.
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
from decimal import Decimal

from django.db import close_old_connections

from integrations.lightspeed_sandbox.services.refunds import refund_in_kind, sale_refund
from integrations.lightspeed_sandbox.services.sales import sale_create, sale_update
from integrations.lightspeed_sandbox.store import models as m

logger = logging.getLogger(__name__)
REFUND_EVERY = 12  # about one sale in twelve is followed by a refund of an earlier sale


class PosSimulator:
    """Rings up `per_minute` sales a minute in each of `accounts` (None: the first account).

    Each account's sales fall on its own beat, the accounts' beats spread evenly over the interval,
    so a fleet's sales arrive one by one rather than all on the same tick.
    """

    def __init__(self, *, per_minute: float, accounts: list[int] | None = None, seed: int = 20261126):
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.accounts = accounts
        self.rng = random.Random(seed)
        self.stopped = threading.Event()
        self.paused = threading.Event()
        self._ticking = threading.Lock()  # held while a sale (or refund) is rung up
        self.rung_up = 0
        self.behind = 0.0  # seconds the last sale was late: the simulator cannot keep up when > 0
        self._sold: dict[int | None, int] = {}

    def _beats(self) -> list[tuple[float, int, int | None]]:
        start = time.monotonic()
        if self.accounts is None:
            return [(start + self.interval, 0, None)]
        count = len(self.accounts)
        return [
            (start + self.interval * (n + 1) / count, n, account_id)
            for n, account_id in enumerate(self.accounts)
        ]

    def run(self) -> None:
        beats = self._beats()
        heapq.heapify(beats)
        while True:
            due, n, account_id = beats[0]
            if self.stopped.wait(max(due - time.monotonic(), 0.0)):
                return
            heapq.heapreplace(beats, (due + self.interval, n, account_id))
            self.behind = max(time.monotonic() - due, 0.0)
            with self._ticking:
                if self.paused.is_set():
                    continue
                try:
                    self.tick(account_id)
                except Exception:
                    # A failed sale (an item archived meanwhile, a locked database) must not stop the shop.
                    logger.exception("simulated sale failed")
                finally:
                    close_old_connections()

    def stop(self) -> None:
        self.stopped.set()

    def pause(self, paused: bool) -> None:
        """Pause (once the sale being rung up is finished) or resume."""
        with self._ticking:
            if paused:
                self.paused.set()
            else:
                self.paused.clear()

    def state(self) -> dict:
        return {
            "running": True,
            "paused": self.paused.is_set(),
            "rungUp": self.rung_up,
            "accounts": 1 if self.accounts is None else len(self.accounts),
            "salesPerMinute": self.per_minute,
            "behindSeconds": round(self.behind, 3),
        }

    def tick(self, account_id: int | None = None) -> m.Sale | None:
        if account_id is None:
            account_id = m.Account.objects.order_by("accountID").values_list("accountID", flat=True).first()
            if account_id is None:
                return None
        sold = self._sold.get(account_id, 0)
        if sold and sold % REFUND_EVERY == 0:
            self.refund_one(account_id)
        sale = self.ring_up(account_id)
        if sale is not None:
            self.rung_up += 1
            self._sold[account_id] = sold + 1
        return sale

    def ring_up(self, account_id: int) -> m.Sale | None:
        rng = self.rng
        shops = list(m.Shop.objects.filter(accountID=account_id, archived=False).order_by("shopID"))
        if not shops:
            return None
        shop = rng.choice(shops)
        registers = list(
            m.Register.objects.filter(shopID=shop.shopID, archived=False).values_list("registerID", flat=True)
        )
        employees = list(
            m.Employee.objects.filter(
                accountID=account_id, archived=False, lockOut=False, limitToShopID__in=(0, shop.shopID)
            ).values_list("employeeID", flat=True)
        )
        on_hand = dict(
            m.ItemShop.objects.filter(shopID=shop.shopID, qoh__gt=0, accountID=account_id)
            .order_by("itemID")
            .values_list("itemID", "qoh")[:2000]
        )
        in_stock = list(on_hand)
        if not registers or not employees or not in_stock:
            return None
        archived = set(
            m.Item.objects.filter(itemID__in=in_stock, archived=True).values_list("itemID", flat=True)
        )
        candidates = [i for i in in_stock if i not in archived]
        if not candidates:
            return None
        customers = list(
            m.Customer.objects.filter(accountID=account_id, archived=False).values_list(
                "customerID", flat=True
            )
        )
        lines = [
            # A shopper takes what is on the shelf: never more than the shop has.
            {"itemID": item_id, "unitQuantity": min(rng.choice((1, 1, 1, 2)), on_hand[item_id])}
            for item_id in rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2, 3))))
        ]
        body = {
            "shopID": shop.shopID,
            "registerID": rng.choice(registers),
            "employeeID": rng.choice(employees),
            "customerID": rng.choice([0, 0, *customers]) if customers else 0,
            "SaleLines": {"SaleLine": lines},
        }
        sale = sale_create(account_id=account_id, data=body)
        payment_types = list(
            m.PaymentType.objects.filter(accountID=account_id).values_list("paymentTypeID", flat=True)
        )
        payment = {
            "paymentTypeID": rng.choice(payment_types or [1]),
            "amount": str(max(sale.total, Decimal("0"))),
        }
        return sale_update(
            account_id=account_id,
            sale_id=sale.saleID,
            data={"SalePayments": {"SalePayment": payment}, "completed": True},
        )

    def refund_one(self, account_id: int) -> m.Sale | None:
        recent = list(
            m.Sale.objects.filter(accountID=account_id, completed=True, voided=False, total__gt=0)
            .order_by("-saleID")
            .values_list("saleID", flat=True)[:20]
        )
        refunded = set(
            m.SaleLine.objects.filter(accountID=account_id, parentSaleLineID__gt=0).values_list(
                "parentSaleLineID", flat=True
            )
        )
        for sale_id in recent:
            line_ids = set(m.SaleLine.objects.filter(saleID=sale_id).values_list("saleLineID", flat=True))
            if line_ids and not line_ids & refunded:
                sale = m.Sale.objects.get(saleID=sale_id)
                return sale_refund(account_id=account_id, sale_id=sale_id, data=refund_in_kind(sale))
        return None


_current: PosSimulator | None = None
_starting = threading.Lock()


def simulator_start(*, per_minute: float, accounts: list[int] | None = None) -> PosSimulator | None:
    """Starts the simulator (replacing a running one); `per_minute` 0 only stops it."""
    global _current
    with _starting:
        if _current is not None:
            _current.stop()
            _current = None
        if per_minute <= 0:
            return None
        simulator = PosSimulator(per_minute=per_minute, accounts=accounts)
        threading.Thread(target=simulator.run, name="pos-simulator", daemon=True).start()
        _current = simulator
        return simulator


def simulator_current() -> PosSimulator | None:
    """The simulator this server runs (`--simulate-sales` or `POST /_sandbox/simulator`), if any."""
    return _current
