"""The fault matrix: which faults (columns) strike which jobs (rows), and where.

A fault is a `POST /_sandbox/faults` body without its target; each job says where its faults
strike (`TARGETS`). `ridden` is how many times the fault strikes in a first, passing phase (the
client must ride it out: retry, wait, renew the token); 0 when the fault cannot be ridden out
(a broken body, a refused write: one is enough to fail). The second phase arms it for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.lightspeed.tests.reliability.support import DELAY

RATE_LIMITED = {"httpCode": "429", "httpMessage": "Too Many Requests", "message": "Rate limit exceeded."}
EXPIRED = {
    "error": "access_denied",
    "error_description": "The resource owner or authorization server denied the request.",
    "hint": "Access token could not be verified",
}
REFUSED = {
    "httpCode": "400",
    "httpMessage": "Bad Request",
    "message": "Item not updated. A ItemShop qoh must be a whole number.",
    "errorClass": "Exception",
}


@dataclass(frozen=True)
class Fault:
    name: str  # the column
    spec: dict
    ridden: int = 0
    status: str = ""  # how the client counts what it got (SyncRun.api_statuses)
    write: bool = False  # strikes the job's writes
    retried: bool = True  # the client retries it (bounded by max_retries)


FAULTS = [
    Fault(
        "429 storm",
        {
            "kind": "status",
            "status": 429,
            "headers": {"Retry-After": "3", "X-LS-API-RateLimit-Type": "api-leaky-bucket"},
            "body": RATE_LIMITED,
        },
        ridden=4,
        status="429",
    ),
    Fault(
        "429 burst",
        {
            "kind": "status",
            "status": 429,
            "headers": {"Retry-After": "1", "X-LS-API-RateLimit-Type": "api-burst-limiter"},
            "body": RATE_LIMITED,
        },
        ridden=3,
        status="429",
    ),
    Fault("500", {"kind": "status", "status": 500}, ridden=2, status="500"),
    Fault(
        "502",
        {
            "kind": "status",
            "status": 502,
            "body": "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "content_type": "text/html",
        },
        ridden=2,
        status="502",
    ),
    Fault("503", {"kind": "status", "status": 503, "headers": {"Retry-After": "2"}}, ridden=2, status="503"),
    Fault("timeout", {"kind": "delay", "delay": DELAY}, ridden=1, status="timeout"),
    Fault("drop", {"kind": "drop"}, ridden=1, status="connection_error"),
    Fault("malformed", {"kind": "malformed"}, retried=False),
    Fault("truncated", {"kind": "truncated"}, retried=False),
    Fault("401", {"kind": "status", "status": 401, "body": EXPIRED}, ridden=1, status="401"),
    Fault(
        "lost answer",
        {"kind": "drop", "after": True},
        ridden=1,
        status="connection_error",
        write=True,
    ),
    Fault("400 write", {"kind": "status", "status": 400, "body": REFUSED}, write=True, retried=False),
]
FAULTS_BY_NAME = {f.name: f for f in FAULTS}


@dataclass(frozen=True)
class Target:
    """Where a job's faults strike: a request pattern, armed before the run or after its first
    progress report (the first item written)."""

    method: str
    path: str
    query: str = ""
    on_progress: bool = False

    def fault(self, fault: Fault, count: int | None) -> dict:
        body = {**fault.spec, "method": self.method, "path": self.path}
        if self.query:
            body["query"] = self.query
        if count is not None:
            body["count"] = count
        return body


@dataclass(frozen=True)
class Row:
    job: str
    reads: Target
    writes: Target | None
    where: str
    not_applicable: dict[str, str] = field(default_factory=dict)


NO_WRITES = "n/a: the {} job never writes to Lightspeed"
ROWS = [
    Row(
        "orders",
        reads=Target("GET", r"/Sale\.json$", query="after="),
        writes=None,
        where="page 2 (and later) of GET Sale",
        not_applicable={"lost answer": NO_WRITES.format("orders"), "400 write": NO_WRITES.format("orders")},
    ),
    Row(
        "upload",
        # The upload's traffic is its writes: every fault strikes the PUTs after the first item.
        reads=Target("PUT", r"/Item/\d+\.json$", on_progress=True),
        writes=Target("PUT", r"/Item/\d+\.json$", on_progress=True),
        where="PUT Item after the first item went up",
    ),
    Row(
        "products",
        reads=Target("GET", r"/Item\.json$", query="after="),
        writes=Target("POST", r"/Item\.json$"),
        where="page 2 of GET Item; writes: POST Item (auto-create)",
    ),
    Row(
        "shops",
        reads=Target("GET", r"/Employee\.json$", query="after="),
        writes=None,
        where="page 2 of GET Employee (after Shop was read)",
        not_applicable={"lost answer": NO_WRITES.format("shops"), "400 write": NO_WRITES.format("shops")},
    ),
]
ROWS_BY_JOB = {r.job: r for r in ROWS}


@dataclass(frozen=True)
class Cell:
    job: str
    fault: Fault

    @property
    def row(self) -> Row:
        return ROWS_BY_JOB[self.job]

    @property
    def target(self) -> Target:
        return self.row.writes if self.fault.write else self.row.reads

    def __str__(self) -> str:
        return f"{self.job}-{self.fault.name.replace(' ', '_')}"


CELLS = [Cell(row.job, fault) for row in ROWS for fault in FAULTS if fault.name not in row.not_applicable]

# (job, fault name) → "ok" | "FAIL" | "xfail" | "skip", filled as the cells run.
RESULTS: dict[tuple[str, str], str] = {}


def table_lines() -> list[str]:
    width = max(len(f.name) for f in FAULTS) + 1
    lines = ["job       " + "".join(f.name.rjust(width) for f in FAULTS)]
    for row in ROWS:
        cells = []
        for fault in FAULTS:
            if fault.name in row.not_applicable:
                cells.append("n/a")
            else:
                cells.append(RESULTS.get((row.job, fault.name), "-"))
        lines.append(row.job.ljust(10) + "".join(c.rjust(width) for c in cells))
    lines.append("")
    lines.append("where the faults strike:")
    lines += [f"  {row.job}: {row.where}" for row in ROWS]
    reasons = sorted({reason for row in ROWS for reason in row.not_applicable.values()})
    lines += [f"  {reason}" for reason in reasons]
    lines.append("  -: not run in this session")
    return lines
