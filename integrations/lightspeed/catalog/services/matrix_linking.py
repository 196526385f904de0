"""Linking Lightspeed item matrices to styles (parent products), after the items are linked.

A style's variations link to items by the shared rules (stored itemID, SKU, UPC/EAN,
manufacturer SKU; `linking.py`), and each link remembers the matrix its item is in
(`ProductLink.item_matrix_id`). A style then links to a matrix by its stored itemMatrixID, else
by its variations: when the items they link to are all in one matrix, and no variation of another
style links to an item of it, that matrix is the style's. Anything else — variations in two
matrices, one matrix holding variations of two styles, a matrix already linked to another style,
variations outside the style's stored matrix — is a `matrix_link_conflict` issue in words, and
nothing is linked until it is settled; the issue resolves itself once the links agree.

Links made before matrices were tracked have no matrix id yet: their items are read once by id
(one request per 100) to learn it. Linking itself asks Lightspeed nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations.commerce.models import Product
from integrations.lightspeed.api.client import LightspeedClient
from integrations.lightspeed.api.records.items import item_parse
from integrations.lightspeed.jobs.issues import sync_issue_record
from integrations.lightspeed.models import LightspeedSettings, MatrixLink, ProductLink, SyncIssue


def matrix_ids_backfill(*, company_id: int, client: LightspeedClient) -> int:
    """Reads the matrix of linked variations' items that predate matrix tracking (by id, 100 a
    request) and stores it (0: not in a matrix). Returns how many items were read."""
    pending = dict(
        ProductLink.objects.filter(
            company_id=company_id,
            item_id__isnull=False,
            item_matrix_id__isnull=True,
            product__parent__isnull=False,
        ).values_list("item_id", "pk")
    )
    if not pending:
        return 0
    found = {
        item.item_id: item.item_matrix_id
        for item in map(
            item_parse, client.iter_items(ids=sorted(pending), with_item_shops=False, include_archived=True)
        )
    }
    with transaction.atomic():
        for item_id, link_pk in pending.items():
            ProductLink.objects.filter(pk=link_pk).update(item_matrix_id=found.get(item_id, 0))
    return len(found)


@dataclass
class _Variations:
    """Which matrices the linked variations of each style are in, and which styles each matrix's
    items belong to."""

    matrices_of_style: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    styles_of_matrix: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    rules_of_style: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))


def _variations_load(company_id: int) -> _Variations:
    found = _Variations()
    rows = ProductLink.objects.filter(
        company_id=company_id, item_id__isnull=False, item_matrix_id__gt=0, product__parent__isnull=False
    ).values_list("product__parent_id", "item_matrix_id", "matched_by")
    for style_id, matrix_id, matched_by in rows:
        found.matrices_of_style[style_id].add(matrix_id)
        found.styles_of_matrix[matrix_id].add(style_id)
        found.rules_of_style[style_id][matched_by or ProductLink.MatchedBy.ITEM_ID] += 1
    return found


def _ids(values) -> str:
    return ", ".join(str(v) for v in sorted(values))


class MatrixLinker:
    def __init__(self, settings_obj: LightspeedSettings, *, dry_run: bool, run=None) -> None:
        self.company_id = settings_obj.company_id
        self.dry_run = dry_run
        self.run = run
        self.counts: Counter = Counter()
        self.conflicts: set[str] = set()

    def link_all(self) -> dict[str, int]:
        found = _variations_load(self.company_id)
        links = {m.product_id: m for m in MatrixLink.objects.filter(company_id=self.company_id)}
        style_of_matrix = {m.item_matrix_id: m.product_id for m in links.values() if m.item_matrix_id}
        skus = dict(
            Product.objects.filter(company_id=self.company_id, is_parent=True).values_list("pk", "sku")
        )
        for style_id, matrices in found.matrices_of_style.items():
            sku = skus.get(style_id)
            if sku is None:
                continue  # a variation whose parent is not a style any more: nothing to link
            problem = self._problem(style_id, matrices, links.get(style_id), found, style_of_matrix, skus)
            if problem:
                self._conflict(sku, problem)
            elif not (links.get(style_id) and links[style_id].item_matrix_id):
                (matrix_id,) = matrices
                rule = found.rules_of_style[style_id].most_common(1)[0][0]
                self._link(style_id, links.get(style_id), matrix_id, rule)
                style_of_matrix[matrix_id] = style_id
        if not self.dry_run:
            self._settled_resolve(set(skus.values()) - self.conflicts)
        return dict(self.counts)

    @staticmethod
    def _problem(style_id, matrices, link, found, style_of_matrix, skus) -> str:
        """Why this style cannot be (or stay) linked as its variations say, or ""."""
        if link and link.item_matrix_id:
            stray = matrices - {link.item_matrix_id}
            if stray:
                return (
                    f"it is linked to Lightspeed matrix {link.item_matrix_id}, but some of its variations "
                    f"are linked to items of matrix {_ids(stray)}. Map those variations to the items of "
                    f"matrix {link.item_matrix_id}, or unlink the style."
                )
            return ""
        if len(matrices) > 1:
            return (
                f"its variations are linked to items of several Lightspeed matrices ({_ids(matrices)}). "
                "Map them all to the items of one matrix."
            )
        (matrix_id,) = matrices
        others = found.styles_of_matrix[matrix_id] - {style_id}
        if others:
            names = ", ".join(sorted(skus.get(o, f"#{o}") for o in others))
            return (
                f"the items of Lightspeed matrix {matrix_id} are linked to variations of it and of {names}. "
                "A matrix is one style: map the items to the variations of one of them."
            )
        owner = style_of_matrix.get(matrix_id)
        if owner is not None and owner != style_id:
            return (
                f"its variations are linked to items of Lightspeed matrix {matrix_id}, which is linked to "
                f"style {skus.get(owner, f'#{owner}')} already."
            )
        return ""

    def _link(self, style_id: int, link: MatrixLink | None, matrix_id: int, rule: str) -> None:
        self.counts["matrices_linked"] += 1
        if self.dry_run:
            return
        now = timezone.now()
        values = {"item_matrix_id": matrix_id, "matched_by": rule, "linked_at": now}
        if link is None:
            MatrixLink.objects.create(company_id=self.company_id, product_id=style_id, **values)
        else:
            for name, value in values.items():
                setattr(link, name, value)
            link.save(update_fields=[*values, "updated_at"])

    def _conflict(self, sku: str, problem: str) -> None:
        self.counts["matrix_conflicts"] += 1
        self.conflicts.add(sku)
        if self.dry_run:
            return
        sync_issue_record(
            company_id=self.company_id,
            kind=SyncIssue.Kind.MATRIX_LINK_CONFLICT,
            key=sku,
            message=f"Style {sku} was not linked to a Lightspeed matrix: {problem}",
            run=self.run,
        )

    def _settled_resolve(self, skus: set[str]) -> None:
        SyncIssue.objects.filter(
            company_id=self.company_id,
            kind=SyncIssue.Kind.MATRIX_LINK_CONFLICT,
            status=SyncIssue.Status.OPEN,
            key__in=list(skus),
        ).update(
            status=SyncIssue.Status.RESOLVED,
            resolved_at=timezone.now(),
            resolution="The style's variations and its matrix agree now.",
        )


def matrices_link(*, settings_obj: LightspeedSettings, dry_run: bool = False, run=None) -> dict[str, int]:
    """Links each style to the Lightspeed matrix its variations' items are in (see the module)."""
    return MatrixLinker(settings_obj, dry_run=dry_run, run=run).link_all()
