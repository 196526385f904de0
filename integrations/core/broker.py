"""The embedded broker's transport: kombu's filesystem transport, each message written whole
before a worker can see it.

kombu's `filesystem` transport creates `<ms>_<uuid>.<queue>.msg` and then writes into it, while a
worker polling the folder (every 0.2 s on the embedded default) moves and reads any such file
without waiting for the writer's lock: caught in between, it reads an empty message, stops with
"Unrecoverable error: JSONDecodeError" and the message is lost (the freshness benchmark hit it
while its own process published stock changes' uploads). Here the message is written under a name
no reader takes (`….msg.part`) and renamed into place, which is atomic within one folder.
`lightsync/celery.py` makes `filesystem://` mean this transport in every process.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`, visible to readers only once it is complete."""
        data = str_to_bytes(dumps(payload))
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb", buffering=0) as f:
                f.write(data)
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
