"""Direct-to-S3 uploads (decision 160): the file's parts go from disk straight to the bucket.

The server signs a PUT URL per part (its part size is max(8 MiB, ⌈size/9,000⌉), the domain's
rule, which the server's answer carries), the parts go up in parallel threads, each part's ETag
is recorded with the server, and the server completes the upload, verifies its size and sha256
and records the media. Resuming asks the server which parts are recorded and sends the others.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

from .errors import MontuError, TransportError

if TYPE_CHECKING:
    from .client import MontuClient

#: Files at least this large go direct when the server offers it (one part's worth).
DIRECT_MIN_BYTES = 8 * 1024 * 1024
_PART_ATTEMPTS = 4
_URL_BATCH = 64
_READ = 1 << 20


class _Slice:
    """A file-like body over bytes ``[start, start + length)`` of a file, reporting progress."""

    def __init__(self, f: Any, length: int, on_read: Callable[[int], None]) -> None:
        self._f = f
        self._left = length
        self._on_read = on_read

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if n is None or n < 0 else min(n, self._left, _READ)
        data = self._f.read(want)
        self._left -= len(data)
        if data:
            self._on_read(len(data))
        return data


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _put_part(url: str, file_path: str, start: int, length: int, on_bytes: Callable[[int], None], timeout: float) -> http.client.HTTPResponse:
    """PUTs one part to its presigned URL (no Montu credentials go to the object store)."""
    u = urllib.parse.urlsplit(url)
    conn_cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(u.hostname or "", u.port, timeout=timeout)
    try:
        with open(file_path, "rb") as f:
            f.seek(start)
            target = u.path + ("?" + u.query if u.query else "")
            conn.request("PUT", target, body=_Slice(f, length, on_bytes), headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"})  # type: ignore[arg-type]
            resp = conn.getresponse()
            resp.read()
            return resp
    finally:
        conn.close()


def direct_upload(
    client: "MontuClient",
    file_path: str,
    start: Mapping[str, Any],
    *,
    progress: Optional[Callable[[int, int], None]] = None,
    upload_id: Optional[str] = None,
    on_created: Optional[Callable[[str], None]] = None,
    only_parts: Optional[Sequence[int]] = None,
    concurrency: int = 4,
) -> Optional[Dict[str, Any]]:
    """Uploads ``file_path`` straight to the bucket and returns the media item.

    ``upload_id`` resumes an earlier direct upload of the same file. ``only_parts`` sends just
    those parts and returns None (a process that stops halfway, in tests).
    """
    size = os.path.getsize(file_path)
    if upload_id is None:
        info = client._call("POST", "/uploads/direct", json_body={**{k: v for k, v in start.items() if v is not None}, "size": size}).body
    else:
        info = client._call("GET", f"/uploads/direct/{upload_id}").body
    uid = str(info["uploadId"])
    if on_created is not None:
        on_created(uid)
    if int(info["size"]) != size:
        raise MontuError(f"upload {uid} is of a {info['size']}-byte file, not this {size}-byte one", code="validation_error")
    part_size = int(info["partSize"])
    count = int(info["partCount"])
    done = {int(p["partNumber"]) for p in info["parts"]}
    pending = [n for n in range(1, count + 1) if n not in done and (only_parts is None or n in only_parts)]

    def part_range(n: int) -> "tuple[int, int]":
        first = (n - 1) * part_size
        return first, min(size, first + part_size) - first

    lock = threading.Lock()
    sent = [sum(part_range(n)[1] for n in done)]
    if sent[0] and progress is not None:
        progress(sent[0], size)

    def count_bytes(k: int) -> None:
        with lock:
            sent[0] += k
            total = sent[0]
        if progress is not None:
            progress(total, size)

    urls: Dict[int, str] = {}

    def url_for(n: int, fresh: bool) -> str:
        with lock:
            if not fresh and n in urls:
                return urls[n]
        i = pending.index(n)
        batch = [n] if fresh else pending[i : i + _URL_BATCH]
        got = client._call("POST", f"/uploads/direct/{uid}/urls", json_body={"parts": batch}).body
        with lock:
            for u in got["urls"]:
                urls[int(u["partNumber"])] = str(u["url"])
            return urls[n]

    hashing: Dict[str, Any] = {}
    hasher: Optional[threading.Thread] = None
    if only_parts is None:
        # Hashed alongside the parts (the page cache shares the reads); sent with complete.
        def run_hash() -> None:
            try:
                hashing["sha256"] = _sha256_file(file_path)
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                hashing["error"] = e

        hasher = threading.Thread(target=run_hash, daemon=True)
        hasher.start()

    def send(n: int) -> None:
        first, length = part_range(n)
        last: Optional[BaseException] = None
        for attempt in range(_PART_ATTEMPTS):
            if attempt:
                time.sleep(0.25 * 2**attempt)
            counted = [0]

            def on_bytes(k: int) -> None:
                counted[0] += k
                count_bytes(k)

            try:
                resp = _put_part(url_for(n, attempt > 0), file_path, first, length, on_bytes, client.timeout)
            except OSError as e:
                count_bytes(-counted[0])
                last = TransportError(f"PUT part {n}: {e.__class__.__name__}: {e}", code="connection_error")
                continue
            etag = resp.getheader("etag")
            if 200 <= resp.status < 300 and etag:
                client._call("PUT", f"/uploads/direct/{uid}/parts/{n}", json_body={"etag": etag})
                return
            count_bytes(-counted[0])
            last = MontuError(f"the object store refused part {n} (HTTP {resp.status})", code="storage_error", status=resp.status)
            # 403: an expired URL (a fresh one is signed); other 4xx will not get better.
            if 400 <= resp.status < 500 and resp.status != 403:
                break
        assert last is not None
        raise last

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for f in [pool.submit(send, n) for n in pending]:
            f.result()
    if only_parts is not None:
        return None
    assert hasher is not None
    hasher.join()
    if "error" in hashing:
        raise hashing["error"]
    media: Dict[str, Any] = client._call("POST", f"/uploads/direct/{uid}/complete", json_body={"sha256": hashing["sha256"]}).body
    return media


def direct_offered(client: "MontuClient") -> bool:
    """Whether the server takes uploads straight to its object store (S3 storage, not turned off)."""
    try:
        return bool(client._call("GET", "/uploads/direct").body.get("offered"))
    except MontuError as e:
        if e.status == 404:  # a server from before direct uploads
            return False
        raise


__all__: List[str] = ["DIRECT_MIN_BYTES", "direct_upload", "direct_offered"]
