"""Uploaded pictures in an S3-compatible bucket, with signed addresses reused for a while.

django-storages signs a fresh address on every ``.url``: about 0.2 ms each, and a page of
fifty posts draws fifty avatars. Worse, a fresh signature is a new address to the browser,
so a picture would be downloaded again on every page instead of coming from its cache. So
an address is reused while at least half its lifetime is left: a page never carries one
that expires sooner than that, and for a while every page names the same address, which the
browser keeps (the objects are stored with a matching Cache-Control; a name is never reused
for other bytes, since uploads get new random names and file_overwrite is off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from storages.backends.s3 import S3Storage

# Addresses remembered per process: enough for every picture on a busy site's pages, and a
# bound on memory (~400 bytes each) when a crawler walks through all of them.
REMEMBERED = 20_000


class SignedMediaStorage(S3Storage):
    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._signed: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._signed_lock = threading.Lock()

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        if parameters or expire is not None or http_method or not self.querystring_auth:
            # Anything but the plain signed address for a page is made as asked.
            return super().url(name, parameters, expire, http_method)
        now = time.monotonic()
        with self._signed_lock:
            remembered = self._signed.get(name)
            if remembered and now - remembered[0] < self.querystring_expire / 2:
                self._signed.move_to_end(name)
                return remembered[1]
        address = super().url(name)
        with self._signed_lock:
            self._signed[name] = (now, address)
            self._signed.move_to_end(name)
            while len(self._signed) > REMEMBERED:
                self._signed.popitem(last=False)
        return address

    def delete(self, name) -> None:
        super().delete(name)
        with self._signed_lock:
            self._signed.pop(name, None)
