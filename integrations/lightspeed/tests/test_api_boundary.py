"""Only `integrations/lightspeed/api/` speaks Lightspeed (STYLE.md, "Where code goes").

Services ask the client by meaning ("sales changed since T", "items with these custom SKUs") and
read typed records; Lightspeed's query syntax, relations, paging, URL paths and string values are
the client's and its parsers' business. This test reads the product code outside `api/` and fails
naming every line that speaks Lightspeed's language itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # the project
SCANNED = [ROOT / "integrations", ROOT / "lightsync"]
# The client itself; the sandbox, which *is* Lightspeed (a stand-in that shares no code with the
# app); tests and migrations, which are not product code.
EXEMPT = [ROOT / "integrations" / "lightspeed" / "api", ROOT / "integrations" / "lightspeed_sandbox"]
EXEMPT_PARTS = {"tests", "migrations"}

MARKERS: dict[str, re.Pattern[str]] = {
    "relations (load_relations)": re.compile(r"load_relations"),
    "paging (iter_pages / iter_record_pages / iter_records)": re.compile(
        r"\biter_(record_)?pages\b|\biter_records\b"
    ),
    "raw records (records_in / normalise_record)": re.compile(r"\brecords_in\b|\bnormalise_record\b"),
    "Lightspeed's string values (api.normalise)": re.compile(
        r"lightspeed\.api\.normalise\b|api import normalise\b"
    ),
    "an IN list": re.compile(r"IN,\s*[\[\"']|[\"']IN,"),
    "a query operator": re.compile(r"[\"'](?:>=|<=|><|!=|!~|>|<|~|=),"),
    "a Lightspeed URL path": re.compile(
        r"/API/|\b[A-Z][A-Za-z]+(?:/\{?[\w.]*\}?)?\.json\b|/auth/oauth/|\w+\.php\b"
    ),
    "a URL built from a resource (resource_url)": re.compile(r"\bresource_url\b"),
    "a raw HTTP request": re.compile(r"\.request\(\s*[\"'](?:GET|POST|PUT|DELETE|HEAD)[\"']"),
}


def offenders_in(text: str, name: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for label, pattern in MARKERS.items():
            if pattern.search(line):
                found.append(f"{name}:{number}: {label}: {line.strip()}")
    return found


def product_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted(top.rglob("*")):
            if path.suffix not in {".py", ".html", ".txt"} or not path.is_file():
                continue
            if any(path.is_relative_to(exempt) for exempt in EXEMPT):
                continue
            if EXEMPT_PARTS & set(path.relative_to(ROOT).parts):
                continue
            files.append(path)
    return files


def test_no_module_outside_the_api_package_speaks_lightspeeds_query_language():
    files = product_files()
    assert any(p.name == "download.py" for p in files), "the scan must cover the services"

    offenders = [hit for path in files for hit in offenders_in(path.read_text(), str(path.relative_to(ROOT)))]

    assert not offenders, (
        "Only integrations/lightspeed/api/ may speak Lightspeed; move these there:\n" + "\n".join(offenders)
    )


@pytest.mark.parametrize(
    "line",
    [
        'params = {"load_relations": json.dumps(["SaleLines"])}',
        'for page in client.iter_pages("Sale", params=params):',
        'client.iter_records("Item", params=params)',
        'records = records_in(page, "Sale")',
        "from integrations.lightspeed.api.normalise import to_int",
        '"saleID": "IN," + json.dumps(chunk)',
        '"customSku": "IN,[\\"A\\"]"',
        'params = {"timeStamp": f">,{iso_utc(since)}"}',
        'params = {"timeStamp": f">=,{iso_utc(since)}"}',
        'params = {"itemID": "><,1,10"}',
        'url = f"{base}/API/V3/Account/{account_id}/Sale.json"',
        'url = f"{base}/Item/{item_id}.json"',
        'client.request("GET", client.resource_url("Sale"))',
    ],
)
def test_the_boundary_check_catches_each_kind_of_lightspeed_speech(line):
    assert offenders_in(line, "example.py")


@pytest.mark.parametrize(
    "line",
    [
        "for records in client.iter_sale_pages(since=read_from):",
        'path("oauth/callback/", views.oauth_callback_view, name="oauth_callback")',
        'message=f"Lightspeed sale {entry.key} could not be read ({entry.reason})"',
        "if newest and newest > cursor.sales_after:",
    ],
)
def test_the_boundary_check_lets_services_ask_by_meaning(line):
    assert not offenders_in(line, "example.py")
