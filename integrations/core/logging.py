"""Structured logs: every line carries the company, job and run it belongs to, and no secrets.

`log_context(company_id=…, job=…, run_id=…)` sets the context for everything logged inside it
(a ContextVar, so threads and tasks never mix theirs up). The LOGGING setting puts two filters on
the console handler: `ContextFilter` copies the context onto each record, `RedactingFilter`
masks what must never be written down (bearer tokens, token/secret/password/code values,
email addresses) in the message and in tracebacks. `JsonFormatter` writes one JSON object per
line for log shippers (LOG_FORMAT=json). This module must not import Django models: the
logging configuration loads it before the apps are ready.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

CONTEXT_FIELDS = ("company_id", "job", "run_id")
_context: ContextVar[dict[str, Any]] = ContextVar("lightsync_log_context", default={})  # noqa: B039 - never mutated


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Adds `values` to the context of every log record made inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name, "-"))
        return True


_SECRET_KEYS = (
    r"access_token|refresh_token|id_token|client_secret|code_verifier|password|passwd|secret|"
    r"api_key|apikey|authorization|auth_token|token"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization headers and anything said as "Bearer <token>".
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}"), r"\1 [redacted]"),
    # key=value (query strings, form bodies, reprs) and "key": "value" (JSON, dicts).
    (
        re.compile(rf"""(?i)(["']?\b(?:{_SECRET_KEYS})\b["']?\s*[:=]\s*["']?)([^"'&,\s}}\]]+)"""),
        r"\1[redacted]",
    ),
    # OAuth's code and state travel in callback query strings ("status code: 500" stays readable).
    (re.compile(r"(?i)([?&;](?:code|state)=)[^&#\s\"']+"), r"\1[redacted]"),
    # Email addresses are personal data.
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[email]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets and personal data in a record's message and traceback before any handler
    formats it. Defence in depth: code must not log them in the first place."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message, company_id, job, run_id, extras."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        # python-json-logger formats exc_info itself instead of reading record.exc_text.
        return redact(super().formatException(ei))

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, "-")
            log_record[name] = None if value == "-" else value
