"""The POS simulator: `--simulate-sales N` rings up N completed sales a minute, and the odd refund.

Each sale goes through the same services as `POST Sale` then `PUT Sale` (ring up, then pay and
complete), as a register does, so stock, timestamps and totals behave exactly as for API sales.

`POST /_sandbox/simulator {"paused": true}` pauses it between two sales (it answers once a sale
being rung up is finished), so a test can read a still shop; `{"paused": false}` resumes it.
"""

from __future__ import annotations

import logging
import random
import threading
from decimal import Decimal

from django.db import close_old_connections

from integrations.lightspeed_sandbox.services.refunds import refund_in_kind, sale_refund
from integrations.lightspeed_sandbox.services.sales import sale_create, sale_update
from integrations.lightspeed_sandbox.store import models as m

logger = logging.getLogger(__name__)
REFUND_EVERY = 12  # about one sale in twelve is followed by a refund of an earlier sale


class PosSimulator:
    def __init__(self, *, per_minute: float, seed: int = 20261126):
        self.interval = 60.0 / per_minute
        self.rng = random.Random(seed)
        self.stopped = threading.Event()
        self.paused = threading.Event()
        self._ticking = threading.Lock()  # held while a sale (or refund) is rung up
        self.rung_up = 0

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            with self._ticking:
                if self.paused.is_set():
                    continue
                try:
                    self.tick()
                except Exception:
                    # A failed sale (an item archived meanwhile, a locked database) must not stop the shop.
                    logger.exception("simulated sale failed")
                finally:
                    close_old_connections()

    def pause(self, paused: bool) -> None:
        """Pause (once the sale being rung up is finished) or resume."""
        with self._ticking:
            if paused:
                self.paused.set()
            else:
                self.paused.clear()

    def state(self) -> dict:
        return {"running": True, "paused": self.paused.is_set(), "rungUp": self.rung_up}

    def tick(self) -> m.Sale | None:
        account = m.Account.objects.order_by("accountID").first()
        if account is None:
            return None
        if self.rung_up and self.rung_up % REFUND_EVERY == 0:
            self.refund_one(account.accountID)
        sale = self.ring_up(account.accountID)
        if sale is not None:
            self.rung_up += 1
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


def simulator_start(*, per_minute: float) -> PosSimulator:
    global _current
    simulator = PosSimulator(per_minute=per_minute)
    threading.Thread(target=simulator.run, name="pos-simulator", daemon=True).start()
    _current = simulator
    return simulator


def simulator_current() -> PosSimulator | None:
    """The simulator this server runs (`--simulate-sales`), if any."""
    return _current
