"""Delayed answers that hold no server thread: waitress sends them when they are due.

The view runs at once in a waitress worker thread — the bucket is charged and writes are done on
arrival — and the latency middleware only notes when the answer is due (`ANSWER_DUE` in the WSGI
environ). The worker hands the finished response to the connection's out-buffer and goes back to
the pool; the connection (`DeferredChannel`) keeps the buffer to itself until the due time, when
one timer thread (`Releaser`) wakes the server's event loop to send it. So 8 threads serve any
number of answers waiting their round trip, bounded by `connection_limit`, not by the pool.

A connection whose answer waits reads no further request (waitress reads nothing while output is
pending), so answers on one connection keep their order; a dropped connection (a `drop` fault)
closes when its answer would have been sent.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time

from waitress.buffers import OverflowableBuffer, ReadOnlyFileBasedBuffer
from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.task import WSGITask

from integrations.lightspeed_sandbox import latency

ANSWER_DUE = "sandbox.answer_due"  # time.monotonic() at which the answer may be sent
DEFERS = "sandbox.defers_answers"  # set by this server: the middleware need not sleep


class Releaser:
    """One thread that releases each held connection at its due time."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, DeferredChannel]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="answer-releaser", daemon=True)
        self._thread.start()

    def hold(self, channel: DeferredChannel, due: float) -> None:
        with self._wake:
            heapq.heappush(self._heap, (due, next(self._order), channel))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, channel = heapq.heappop(self._heap)
            channel.release_if_due()


_releaser: Releaser | None = None
_releaser_lock = threading.Lock()


def releaser() -> Releaser:
    global _releaser
    with _releaser_lock:
        if _releaser is None:
            _releaser = Releaser()
        return _releaser


class DeferredTask(WSGITask):
    """Tells the app that answers may be deferred, and holds the channel once the app set a due time."""

    def get_environment(self) -> dict:
        environ = super().get_environment()
        environ[DEFERS] = True
        return environ

    def _hold_if_due(self) -> None:
        due = getattr(self, "environ", None) and self.environ.get(ANSWER_DUE)
        if due:
            self.channel.hold_until(due)

    def write(self, data: bytes) -> None:
        if not self.wrote_header:
            self._hold_if_due()  # before the first byte reaches the out-buffer
        super().write(data)

    def execute(self) -> None:
        try:
            super().execute()
        finally:
            self._hold_if_due()  # also when nothing was written (a dropped connection)


class DeferredChannel(HTTPChannel):
    """A connection whose output waits until `hold_until`'s time; nothing else changes."""

    task_class = DeferredTask
    _due: float | None = None

    def hold_until(self, due: float) -> None:
        with self.outbuf_lock:
            if due <= time.monotonic() or (self._due is not None and due <= self._due):
                return  # already due, or already held as long
            if self._due is None:
                latency.answer_waiting(+1)
            self._due = due
        releaser().hold(self, due)

    def _held(self) -> bool:
        return self._due is not None

    def release_if_due(self) -> None:
        with self.outbuf_lock:
            if self._due is None or self._due > time.monotonic():
                return  # a later answer on this connection extended the hold
            self._due = None
            latency.answer_waiting(-1)
        self.server.pull_trigger()  # the event loop sees the output and sends it

    def writable(self) -> bool:
        if self._held():
            return bool(self.will_close)
        return super().writable()

    def handle_write(self) -> None:
        if self._held() and not self.will_close:
            return
        super().handle_write()

    def handle_close(self) -> None:
        with self.outbuf_lock:
            if self._due is not None:
                self._due = None
                latency.answer_waiting(-1)
        super().handle_close()

    def write_soon(self, data: bytes) -> int:
        if not self._held() or isinstance(data, ReadOnlyFileBasedBuffer):
            return super().write_soon(data)
        # Held: buffer only. waitress would flush from the worker thread once the buffer passes
        # send_bytes; the event loop sends it at the due time instead.
        if not self.connected:
            raise ClientDisconnected
        if not data:
            return 0
        with self.outbuf_lock:
            if self.current_outbuf_count >= self.adj.outbuf_high_watermark:
                # A new buffer per answer, as waitress does, so spent ones are freed.
                self.outbufs.append(OverflowableBuffer(self.adj.outbuf_overflow))
                self.current_outbuf_count = 0
            self.outbufs[-1].append(data)
            self.current_outbuf_count += len(data)
            self.total_outbufs_len += len(data)
        return len(data)
