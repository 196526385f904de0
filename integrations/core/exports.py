"""Exports a spreadsheet opens safely: formula-looking cells are neutralised (OWASP "CSV injection").

A merchant's text (a product title, a customer's name from a POS sale) may start with `=`, `+`,
`-`, `@`, a tab or a carriage return, or their full-width forms, which Excel and LibreOffice read
as a formula: `=HYPERLINK(...)` or `-2+3+cmd|' /C calc'!A0` run when the export is opened. Such a
cell gets a leading single quote, which spreadsheets show as text. A cell that is just a number
(`-1`, `+2.50`, `-1E3`) is a number, not a formula, and stays as it is, so quantities and money
keep their sign; values the format keeps native (not text) are never touched.

django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only drops one
leading `=` (so `==1+1` is still a formula, and `+`, `-` and `@` pass untouched).
`CompanyScopedImportExportMixin` (integrations.core.admin) applies this to every export.
"""

from __future__ import annotations

import re
from typing import Any

import tablib

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_neutralised(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def dataset_formulae_neutralised(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of `dataset` with every formula-looking cell neutralised (headers are ours)."""
    rows = [tuple(formula_neutralised(cell) for cell in row) for row in dataset]
    return tablib.Dataset(*rows, headers=dataset.headers, title=dataset.title)
