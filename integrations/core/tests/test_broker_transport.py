"""The embedded broker never hands a worker a message that is still being written."""

from __future__ import annotations

import sys

import pytest
from kombu import Connection

import lightsync.celery  # noqa: F401 - every process imports it: `filesystem://` is then ours

QUEUE = "lightspeed.upload"


@pytest.fixture
def channels(tmp_path):
    for folder in ("queue", "processed"):
        (tmp_path / folder).mkdir()
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "store_processed": False,
    }
    publisher = Connection("filesystem://", transport_options=options)
    worker = Connection("filesystem://", transport_options=options)
    yield publisher.default_channel, worker.default_channel
    publisher.release()
    worker.release()


def test_a_worker_polling_while_a_message_is_written_gets_it_whole_afterwards_never_half(
    channels, monkeypatch
):
    publisher, worker = channels
    transport_module = sys.modules[type(publisher).__module__]
    seen_mid_write = []

    def encode_while_the_worker_polls(text):
        try:
            seen_mid_write.append(worker._get(QUEUE))
        except Exception as exc:  # noqa: BLE001 - what the worker would meet, whatever it is
            seen_mid_write.append(exc)
        return text.encode()

    monkeypatch.setattr(transport_module, "str_to_bytes", encode_while_the_worker_polls)

    publisher._put(QUEUE, {"task": "lightspeed.upload_changed", "args": [1]})

    assert len(seen_mid_write) == 1 and type(seen_mid_write[0]).__name__ == "Empty", seen_mid_write
    assert worker._get(QUEUE) == {"task": "lightspeed.upload_changed", "args": [1]}
