"""The Montu HTTP client (standard library only)."""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import random
import re
import select
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence as Seq,
    Tuple,
    Union,
)

from . import __version__
from .errors import (
    ChecksumMismatch,
    MontuError,
    NotFound,
    TransportError,
    UploadInterrupted,
    ValidationError,
    error_from_problem,
)
from .sequences import Sequence, is_sequence_pattern, resolve_sequence
from .direct_uploads import DIRECT_MIN_BYTES, direct_offered, direct_upload

Media = Dict[str, Any]
"""A media item as the server describes it (``id``, ``projectId``, ``taskId``, ``version``,
``mediaType``, ``status``, ``files`` …; see the OpenAPI document)."""

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(bytes_done, bytes_total)`` while bytes move."""

Version = Union[str, int, None]

API_PREFIX = "/api/v1"
TUS_VERSION = "1.0.0"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
_BLOCK = 256 * 1024

# Errors meaning no usable answer arrived. A refused connection never delivered the request,
# so even a POST may be retried then.
_NET_ERRORS: Tuple[type, ...] = (
    ConnectionError,
    http.client.HTTPException,
    socket.timeout,
    TimeoutError,
    ssl.SSLError,
)
# Requests also see OSError for unreachable hosts and the like (no local files are involved).
_TRANSPORT_ERRORS: Tuple[type, ...] = _NET_ERRORS + (OSError,)


class _Reader:
    """A file-like body over part of a file that reports progress as it is read."""

    def __init__(self, f: IO[bytes], length: int, on_read: Optional[Callable[[int], None]] = None) -> None:
        self._f = f
        self._left = length
        self._on_read = on_read

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if n is None or n < 0 else min(n, self._left)
        data = self._f.read(want)
        self._left -= len(data)
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data


# Bodies this large are sent with ``Expect: 100-continue``: the server answers a refusal (413,
# 401, 403, 429…) before the body is sent, instead of the client writing into a socket the server
# is closing (http.client then fails with a broken pipe and never reads the answer).
_EXPECT_MIN = 1 << 20
# How long to wait for ``100 Continue`` before sending the body anyway (RFC 9110 §10.1.1: a
# client must not wait for ever; a server that ignores Expect never answers it).
_CONTINUE_WAIT = 5.0


class _BufferedSocket:
    """Hands an already-open buffered reader to :class:`http.client.HTTPResponse` (which calls
    ``makefile``), so bytes read while waiting for ``100 Continue`` are not lost."""

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> IO[bytes]:
        return self._fp


def _request_expecting_continue(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Union[bytes, _Reader],
    headers: Mapping[str, str],
) -> http.client.HTTPResponse:
    """Sends the request head with ``Expect: 100-continue`` and the body only once the server
    asks for it (or says nothing for ``_CONTINUE_WAIT`` seconds); returns the response."""
    names = {k.lower() for k in headers}
    conn.putrequest(method, path, skip_host="host" in names, skip_accept_encoding="accept-encoding" in names)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.putheader("Expect", "100-continue")
    conn.endheaders()
    sock = conn.sock
    fp = sock.makefile("rb")
    ready, _, _ = select.select([sock], [], [], _CONTINUE_WAIT)
    interim = fp.peek(1)[:12] if ready else b""
    if interim[:9] in (b"HTTP/1.1 ", b"HTTP/1.0 ") and interim[9:12] != b"100":
        # A final answer before the body (a refusal): the body is not sent.
        pass
    else:
        if interim:
            while fp.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # the 100 Continue status line and its (empty) headers
        conn.send(body)
    response = http.client.HTTPResponse(_BufferedSocket(fp), method=method)  # type: ignore[arg-type]
    response.begin()
    return response


class _Response:
    """A finished response: status, headers (lower-case names) and parsed body."""

    def __init__(self, status: int, headers: Dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tus_metadata(meta: Mapping[str, Optional[str]]) -> str:
    parts = []
    for key, value in meta.items():
        if value is None:
            continue
        parts.append(f"{key} {base64.b64encode(str(value).encode('utf-8')).decode('ascii')}")
    return ",".join(parts)


def _version_str(version: Version) -> Optional[str]:
    if version is None:
        return None
    if isinstance(version, int):
        return f"v{version:03d}"
    return str(version)


def _drop_none(d: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class MontuClient:
    """A client for one Montu server.

    Args:
        url: the server, e.g. ``http://montu:8470`` (a path prefix behind a proxy is kept).
        token: an API token (``montu_…``), sent as ``Authorization: Bearer``. Defaults to the
            ``MONTU_TOKEN`` environment variable.
        timeout: seconds to wait for a connection or for the next bytes of an answer.
        retries: how many times an idempotent call (GET, HEAD, PUT, DELETE, and tus PATCH after
            checking the offset) is tried again after a connection error, a timeout or a 502/503/504.
        backoff: the first pause between tries, doubled each time (with jitter).
        chunk_size: bytes per tus PATCH request.
        ssl_context: for ``https`` URLs, e.g. one trusting a studio CA.

    The client is thread-safe: each request uses its own connection.

    Example::

        from montu_client import MontuClient
        montu = MontuClient("http://montu:8470", token="montu_…")
        item = montu.upload_media("/renders/sh020.####.exr", "ep01_sq010_sh020_lighting", project_id="SWA")
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        chunk_size: int = 64 * 1024 * 1024,
        ssl_context: Optional[ssl.SSLContext] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"url must be http(s)://host[:port][/prefix], not {url!r}")
        self.url = url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self.token = token if token is not None else os.environ.get("MONTU_TOKEN")
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.chunk_size = max(1, int(chunk_size))
        self._ssl = ssl_context
        self._ua = user_agent or f"montu-client-python/{__version__}"
        self._local = threading.local()
        self._direct_offer: Optional[bool] = None

    # ------------------------------------------------------------------ transport

    def _connection(self, host: Optional[str] = None, port: Optional[int] = None, scheme: Optional[str] = None) -> http.client.HTTPConnection:
        scheme = scheme or self._scheme
        host = host or self._host
        port = port if host != self._host or port is not None else self._port
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._ssl or ssl.create_default_context())
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout, blocksize=_BLOCK)
        return conn

    def _path(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        full = path if path.startswith(self._prefix + "/") and self._prefix else self._prefix + (path if path.startswith(API_PREFIX) else API_PREFIX + path)
        if query:
            pairs: List[Tuple[str, str]] = []
            for k, v in query.items():
                if v is None:
                    continue
                if isinstance(v, bool):
                    pairs.append((k, "true" if v else "false"))
                elif isinstance(v, (list, tuple)):
                    pairs.extend((k, str(x)) for x in v)
                else:
                    pairs.append((k, str(v)))
            if pairs:
                full += "?" + urllib.parse.urlencode(pairs)
        return full

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        h = {"User-Agent": self._ua, "Accept": "application/json, application/problem+json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if extra:
            h.update(extra)
        return h

    def _sleep_before_retry(self, attempt: int, retry_after: Optional[str] = None) -> None:
        delay = self.backoff * (2 ** attempt) * (0.75 + random.random() / 2)
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        time.sleep(delay)

    def _open(
        self,
        method: str,
        path: str,
        *,
        body: Union[bytes, _Reader, None] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Sends one request and returns the open connection and response (the caller closes both)."""
        conn = self._connection()
        try:
            hdrs = self._headers(headers)
            length = next((v for k, v in hdrs.items() if k.lower() == "content-length"), None)
            if body is not None and length is not None and length.isdigit() and int(length) >= _EXPECT_MIN:
                return conn, _request_expecting_continue(conn, method, path, body, hdrs)
            conn.request(method, path, body=body, headers=hdrs)  # type: ignore[arg-type]
            return conn, conn.getresponse()
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _read_body(resp: http.client.HTTPResponse) -> Any:
        raw = resp.read()
        if not raw:
            return None
        ctype = (resp.getheader("content-type") or "").lower()
        if "json" in ctype:
            try:
                return json.loads(raw.decode("utf-8"))
            except ValueError:
                return raw.decode("utf-8", "replace")
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        body: Union[bytes, Callable[[], _Reader], None] = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: Optional[bool] = None,
        ok: Iterable[int] = (),
        gone_is_done: bool = False,
    ) -> _Response:
        """One API call with retries; error answers raise the matching :class:`MontuError`.

        ``body`` may be a function returning a fresh reader, so a retried PUT resends from the start.
        ``gone_is_done`` (deletes that answer nothing): a 404 on a retry means an earlier attempt,
        whose answer was lost, already deleted it; it is returned as 204 instead of raised.
        """
        safe = method in IDEMPOTENT if idempotent is None else idempotent
        full = self._path(path, query)
        hdrs: Dict[str, str] = dict(headers or {})
        payload: Union[bytes, _Reader, None] = None
        if json_body is not None:
            payload = json.dumps(json_body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        attempt = 0
        while True:
            if body is not None:
                payload = body() if callable(body) else body
            if isinstance(payload, bytes):
                hdrs["Content-Length"] = str(len(payload))
            elif payload is None and method in ("POST", "PUT", "PATCH"):
                hdrs["Content-Length"] = "0"
            try:
                conn, resp = self._open(method, full, body=payload, headers=hdrs)
                try:
                    parsed = None if method == "HEAD" else self._read_body(resp)
                    result = _Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)
                finally:
                    conn.close()
            except _TRANSPORT_ERRORS as e:
                refused = isinstance(e, ConnectionRefusedError)
                if (safe or refused) and attempt < self.retries:
                    self._sleep_before_retry(attempt)
                    attempt += 1
                    continue
                kind = "timeout" if isinstance(e, (socket.timeout, TimeoutError)) else "connection_error"
                raise TransportError(f"{method} {full}: {e.__class__.__name__}: {e}", code=kind) from e
            # 409 with Retry-After: the first request with this Idempotency-Key is still running.
            busy = result.status == 409 and "retry-after" in result.headers
            if (result.status in RETRY_STATUSES or busy) and safe and attempt < self.retries:
                self._sleep_before_retry(attempt, result.headers.get("retry-after"))
                attempt += 1
                continue
            if result.status == 404 and attempt > 0 and gone_is_done:
                return _Response(204, result.headers, None)
            if result.status >= 400 and result.status not in ok:
                raise error_from_problem(result.status, result.body, f"{method} {full}")
            return result

    def _get(self, path: str, **query: Any) -> Any:
        return self._call("GET", path, query=query).body

    def _post(self, path: str, body: Any = None) -> Any:
        return self._call("POST", path, json_body=body).body

    # ------------------------------------------------------------------ server, projects

    def health(self) -> bool:
        """True when the server answers ``/healthz``."""
        try:
            conn, resp = self._open("GET", self._prefix + "/healthz")
            try:
                resp.read()
                return resp.status == 200
            finally:
                conn.close()
        except _TRANSPORT_ERRORS:
            return False

    def whoami(self) -> Dict[str, Any]:
        """The authenticated user with their project memberships."""
        return self._get("/auth/me")

    def list_projects(self) -> List[Dict[str, Any]]:
        """Projects visible to the caller."""
        return self._get("/projects")

    def get_project(self, project_id: str) -> Dict[str, Any]:
        """One project."""
        return self._get(f"/projects/{_q(project_id)}")

    def create_project(self, project_id: str, name: Optional[str] = None, settings: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Creates a project (instance admins)."""
        return self._post("/projects", _drop_none({"id": project_id, "name": name, "settings": dict(settings) if settings else None}))

    def list_tasks(self, project_id: str) -> List[Dict[str, Any]]:
        """Tasks of a project with parsed episode/sequence/shot/step."""
        return self._get(f"/projects/{_q(project_id)}/tasks")

    def find_task(self, task_id: str) -> List[Dict[str, Any]]:
        """The task in each project you can see that holds it (which project a task is in)."""
        return self._get(f"/tasks/{_q(task_id)}")

    def get_job(self, job_id: str) -> Dict[str, Any]:
        """One processing job (``state``: queued, running, done or failed)."""
        return self._get(f"/jobs/{_q(job_id)}")

    # ------------------------------------------------------------------ media: read

    def get_media_by_id(self, media_id: str) -> Media:
        """One media item with its files and processing state. Raises :class:`NotFound`."""
        return self._get(f"/media/{_q(media_id)}")

    def get_media_by_task(self, task_id: str, version: Version = None, project_id: Optional[str] = None) -> List[Media]:
        """Media of a task: every version (newest first), or only ``version`` (``"v003"`` or ``3``).

        ``project_id`` narrows the search when the same task name exists in several projects.
        Raises :class:`NotFound` when the asked version does not exist.
        """
        return self._get(f"/tasks/{_q(task_id)}/media", projectId=project_id, version=_version_str(version))

    def get_media_versions(self, task_id: str, project_id: Optional[str] = None) -> List[str]:
        """Version names of a task (``["v001", "v002", …]``)."""
        body = self._get(f"/tasks/{_q(task_id)}/versions", projectId=project_id)
        return list(body.get("versions", [])) if isinstance(body, dict) else list(body or [])

    def search_media_page(
        self,
        *,
        query: Optional[str] = None,
        task_id: Optional[str] = None,
        media_type: Optional[str] = None,
        author: Optional[str] = None,
        project_id: Optional[str] = None,
        status: Optional[str] = None,
        tags: Optional[Seq[str]] = None,
        date_from: Optional[str] = None,
        date_to: Optional[str] = None,
        review_selected: Optional[bool] = None,
        archived: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """One page of search results: ``{"items": [...], "nextCursor": str | None}``."""
        return self._get(
            "/media",
            query=query,
            taskId=task_id,
            mediaType=media_type,
            author=author,
            projectId=project_id,
            status=status,
            tags=",".join(tags) if tags else None,
            dateFrom=date_from,
            dateTo=date_to,
            reviewSelected=review_selected,
            archived=archived,
            limit=limit,
            cursor=cursor,
        )

    def search_media(
        self,
        query: Optional[str] = None,
        *,
        task_id: Optional[str] = None,
        media_type: Optional[str] = None,
        author: Optional[str] = None,
        project_id: Optional[str] = None,
        status: Optional[str] = None,
        tags: Optional[Seq[str]] = None,
        date_from: Optional[str] = None,
        date_to: Optional[str] = None,
        review_selected: Optional[bool] = None,
        archived: Optional[str] = None,
        page_size: int = 100,
        max_items: Optional[int] = None,
    ) -> Iterator[Media]:
        """Searches media (newest first), yielding every match across all pages.

        Pages are fetched lazily as the iteration goes (cursor pagination), so breaking out
        early costs nothing more. ``archived`` is ``"exclude"`` (default), ``"include"`` or ``"only"``;
        ``tags`` must all be present. ``max_items`` stops after that many.
        """
        cursor: Optional[str] = None
        seen = 0
        while True:
            page = self.search_media_page(
                query=query,
                task_id=task_id,
                media_type=media_type,
                author=author,
                project_id=project_id,
                status=status,
                tags=tags,
                date_from=date_from,
                date_to=date_to,
                review_selected=review_selected,
                archived=archived,
                limit=page_size,
                cursor=cursor,
            )
            for item in page.get("items", []):
                yield item
                seen += 1
                if max_items is not None and seen >= max_items:
                    return
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def get_media_history(self, media_id: str) -> List[Dict[str, Any]]:
        """The audit log of a media item."""
        return self._get(f"/media/{_q(media_id)}/history")

    def get_media_statistics(self, project_id: Optional[str] = None) -> Dict[str, Any]:
        """Statistics of a project (counts by type/status, sizes, …), or across the visible projects."""
        return self._get(f"/projects/{_q(project_id)}/statistics") if project_id else self._get("/statistics")

    def wait_for_processing(self, media_id: str, timeout: float = 120.0, interval: float = 0.5) -> Media:
        """Polls until the item's processing (probe, thumbnail, proxy) is ready or failed; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.get_media_by_id(media_id)
            if item.get("processingState") in ("ready", "failed", "partial"):
                return item
            if time.monotonic() >= deadline:
                raise TransportError(f"media {media_id} still {item.get('processingState')} after {timeout}s", code="timeout")
            time.sleep(interval)

    # ------------------------------------------------------------------ media: change

    def update_media_metadata(
        self,
        media_id: str,
        metadata: Optional[Mapping[str, Any]] = None,
        custom_properties: Optional[Mapping[str, Any]] = None,
    ) -> Media:
        """Merge-patches technical ``metadata`` and/or ``custom_properties`` (a ``None`` value removes a key)."""
        body: Dict[str, Any] = {}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        if custom_properties is not None:
            body["customProperties"] = dict(custom_properties)
        return self._call("PATCH", f"/media/{_q(media_id)}/metadata", json_body=body).body

    def update_media_info(
        self,
        media_id: str,
        *,
        description: Optional[str] = None,
        tags: Optional[Seq[str]] = None,
        review_selected: Optional[bool] = None,
        status: Optional[str] = None,
        comment: Optional[str] = None,
    ) -> Media:
        """Updates description, tags, review selection or status (status follows the project's workflow)."""
        body = _drop_none(
            {
                "description": description,
                "tags": list(tags) if tags is not None else None,
                "reviewSelected": review_selected,
                "approvalStatus": status,
                "comment": comment,
            }
        )
        return self._call("PATCH", f"/media/{_q(media_id)}", json_body=body).body

    def archive_media(self, media_id: str) -> Media:
        """Archives an item (hidden from default searches; supervisors)."""
        return self._post(f"/media/{_q(media_id)}/archive")

    def restore_media(self, media_id: str) -> Media:
        """Restores an archived item (supervisors)."""
        return self._post(f"/media/{_q(media_id)}/restore")

    def delete_media(self, media_id: str, remove_files: bool = True) -> None:
        """Deletes an item and (unless ``remove_files=False``) its stored files; project admins."""
        self._call("DELETE", f"/media/{_q(media_id)}", query={"removeFiles": remove_files}, gone_is_done=True)

    def regenerate_thumbnail(self, media_id: str, timestamp: Optional[float] = None) -> Dict[str, Any]:
        """Schedules a new thumbnail (video/sequence: taken at ``timestamp`` seconds); returns at once.

        The answer's ``jobId`` is the job making it (:meth:`get_job` tells when it is done).
        """
        return self._post(f"/media/{_q(media_id)}/thumbnail", _drop_none({"timestamp": timestamp}))

    def cleanup_orphaned_files(self, dry_run: bool = True, verify_checksums: Optional[bool] = None) -> Dict[str, Any]:
        """Finds (and unless ``dry_run``, fixes) orphan, missing and corrupt stored files; instance admins."""
        return self._post("/admin/cleanup-orphans", _drop_none({"dryRun": dry_run, "verifyChecksums": verify_checksums}))

    def cleanup_old_media(self, project_id: str, days_old: float, dry_run: bool = True, action: Optional[str] = None) -> Dict[str, Any]:
        """Archives (or deletes) superseded versions older than ``days_old`` days; project admins."""
        return self._post(f"/projects/{_q(project_id)}/cleanup", _drop_none({"daysOld": days_old, "dryRun": dry_run, "action": action}))

    # ------------------------------------------------------------------ review

    def get_media_for_review(self, project_id: str, status: Optional[str] = None, limit: Optional[int] = None) -> List[Media]:
        """The review queue of a project (``pending_review`` unless ``status``), oldest first.

        ``status`` takes the workflow's statuses and the media services document's words
        (``pending``, ``approved``, ``rejected``).
        """
        return self._get(f"/projects/{_q(project_id)}/review", status=status, limit=limit)

    def _review(self, media_id: str, action: str, comment: Optional[str], by: Optional[str]) -> Media:
        return self._post(f"/media/{_q(media_id)}/{action}", _drop_none({"comment": comment, "by": by}))

    # ``by`` names who makes the change when that is not the caller: instance admins and pipeline
    # tokens may; anyone else gets PermissionDenied (docs/auth.md).

    def submit_for_review(self, media_id: str, comment: Optional[str] = None, *, by: Optional[str] = None) -> Media:
        """Submits an item for review (status ``pending_review``)."""
        return self._review(media_id, "submit", comment, by)

    def approve_media(self, media_id: str, comment: Optional[str] = None, *, by: Optional[str] = None) -> Media:
        """Approves an item (supervisors)."""
        return self._review(media_id, "approve", comment, by)

    def reject_media(self, media_id: str, comment: Optional[str] = None, *, by: Optional[str] = None) -> Media:
        """Rejects an item (supervisors)."""
        return self._review(media_id, "reject", comment, by)

    def request_changes(self, media_id: str, comment: Optional[str] = None, *, by: Optional[str] = None) -> Media:
        """Asks for changes on an item (supervisors)."""
        return self._review(media_id, "request-changes", comment, by)

    def add_review_annotation(
        self,
        media_id: str,
        content: str,
        *,
        frame: Optional[int] = None,
        frame_end: Optional[int] = None,
        type: Optional[str] = None,  # noqa: A002 - the API's field name
        position: Optional[Mapping[str, float]] = None,
        parent_id: Optional[str] = None,
        mentions: Optional[Seq[str]] = None,
        rendition_sha256: Optional[str] = None,
        position_px: Optional[Mapping[str, float]] = None,
        author: Optional[str] = None,
        drawing: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Adds a note: on a frame or a range, at a position, or as a reply (``parent_id``).

        ``position`` is normalised (0–1 of the picture), ``position_px`` the same point in pixels;
        the note comes back with both (``position``, ``positionPx``). ``author`` names who wrote
        it when that is not the caller (instance admins and pipeline tokens only).
        """
        body = _drop_none(
            {
                "content": content,
                "author": author,
                "frame": frame,
                "frameEnd": frame_end,
                "type": type,
                "position": dict(position) if position else None,
                "positionPx": dict(position_px) if position_px else None,
                "drawing": dict(drawing) if drawing else None,
                "parentId": parent_id,
                "mentions": list(mentions) if mentions else None,
                "renditionSha256": rendition_sha256,
            }
        )
        return self._post(f"/media/{_q(media_id)}/annotations", body)

    def get_review_annotations(self, media_id: str) -> List[Dict[str, Any]]:
        """The notes on a media item."""
        return self._get(f"/media/{_q(media_id)}/annotations")

    # ------------------------------------------------------------------ playlists

    def list_playlists(self, project_id: str) -> List[Dict[str, Any]]:
        """Playlists (review sessions) of a project, newest first, each with ``itemCount``."""
        return self._get(f"/projects/{_q(project_id)}/playlists")

    def create_playlist(
        self,
        project_id: str,
        name: str,
        *,
        date: Optional[str] = None,
        description: Optional[str] = None,
        media_ids: Optional[Seq[str]] = None,
    ) -> Dict[str, Any]:
        """Creates a playlist (``date`` is the review date, ``YYYY-MM-DD``), optionally with items in order."""
        body = _drop_none(
            {"name": name, "date": date, "description": description, "mediaIds": list(media_ids) if media_ids else None}
        )
        return self._post(f"/projects/{_q(project_id)}/playlists", body)

    def get_playlist(self, playlist_id: str) -> Dict[str, Any]:
        """A playlist with its items in order (each with its media item)."""
        return self._get(f"/playlists/{_q(playlist_id)}")

    def update_playlist(
        self,
        playlist_id: str,
        *,
        name: Optional[str] = None,
        date: Optional[str] = None,
        clear_date: bool = False,
        description: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Renames, re-dates (``clear_date=True`` removes the date) or describes a playlist.

        Its owner, the project's supervisors and admins may; others get :class:`PermissionDenied`.
        """
        body: Dict[str, Any] = _drop_none({"name": name, "date": date, "description": description})
        if clear_date:
            body["date"] = None
        return self._call("PATCH", f"/playlists/{_q(playlist_id)}", json_body=body).body

    def add_to_playlist(self, playlist_id: str, media_ids: Seq[str], position: Optional[int] = None) -> Dict[str, Any]:
        """Adds media items (at ``position``, 0-based; default the end); any project member may."""
        return self._post(f"/playlists/{_q(playlist_id)}/items", _drop_none({"mediaIds": list(media_ids), "position": position}))

    def remove_from_playlist(self, playlist_id: str, media_id: str) -> Dict[str, Any]:
        """Takes an item out of a playlist (its owner, supervisors and admins)."""
        return self._call("DELETE", f"/playlists/{_q(playlist_id)}/items/{_q(media_id)}").body

    def reorder_playlist(self, playlist_id: str, media_ids: Seq[str]) -> Dict[str, Any]:
        """Puts the items in a new order: list every item once (its owner, supervisors and admins)."""
        return self._call("PUT", f"/playlists/{_q(playlist_id)}/items", json_body={"mediaIds": list(media_ids)}).body

    def delete_playlist(self, playlist_id: str) -> None:
        """Deletes a playlist; its media items and notes stay (its owner, supervisors and admins)."""
        self._call("DELETE", f"/playlists/{_q(playlist_id)}", gone_is_done=True)

    def add_playlist_note(
        self,
        playlist_id: str,
        media_id: str,
        content: str,
        *,
        frame: Optional[int] = None,
        frame_end: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A note on an item, made in this review session: it is the media item's note, tagged with the playlist."""
        body = _drop_none({"content": content, "frame": frame, "frameEnd": frame_end})
        return self._post(f"/playlists/{_q(playlist_id)}/items/{_q(media_id)}/notes", body)

    def export_playlist(self, playlist_id: str, dest: str, format: str = "csv", *, only_playlist_notes: bool = False) -> str:  # noqa: A002 - the API's word
        """Writes a playlist's export to ``dest`` (a file, or a folder for the server's file name) and returns the path.

        ``format``: ``csv`` (one row per note), ``html`` or ``pdf`` (a report with annotated
        frames) or ``otio`` (OpenTimelineIO JSON). The file is written to a temporary name and
        renamed into place when complete.
        """
        if format not in ("csv", "html", "pdf", "otio"):
            raise ValueError(f"format must be csv, html, pdf or otio, not {format!r}")
        if dest.endswith(("/", os.sep)):
            os.makedirs(dest, exist_ok=True)
        return self._download_to(
            self._path(f"/playlists/{_q(playlist_id)}/export.{format}", {"onlyPlaylistNotes": "true"} if only_playlist_notes else None),
            dest,
            default_name=f"{playlist_id}.{format}",
            into_dir=dest if os.path.isdir(dest) else None,
            expected_sha256=None,
            progress=None,
        )

    # ------------------------------------------------------------------ live review sessions

    def start_review_session(self, *, playlist_id: Optional[str] = None, media_id: Optional[str] = None) -> Dict[str, Any]:
        """Starts a live review session on a playlist or a single version; you own and drive it.

        Answers the snapshot: ``state`` (``mediaId``, ``frame``, ``playing``, ``rate``, ``compare``,
        ``colour``, ``drawing``) as of ``seq``, ``driver``, ``presence`` and the ``joinPath`` to share.
        """
        if (playlist_id is None) == (media_id is None):
            raise ValueError("give playlist_id or media_id (one of them)")
        return self._post("/review-sessions", _drop_none({"playlistId": playlist_id, "mediaId": media_id}))

    def get_review_session(self, session_id: str) -> Dict[str, Any]:
        """The session's snapshot: state as of ``seq``, driver, who is here."""
        return self._get(f"/review-sessions/{_q(session_id)}")

    def join_review_session(self, session_id: str) -> Dict[str, Any]:
        """Joins (or re-joins) a session and answers its snapshot."""
        return self._post(f"/review-sessions/{_q(session_id)}/join")

    def review_session_heartbeat(self, session_id: str) -> Dict[str, Any]:
        """Says you are still here (at least every 45 s); answers ``seq`` and ``presence``."""
        return self._post(f"/review-sessions/{_q(session_id)}/heartbeat")

    def leave_review_session(self, session_id: str) -> None:
        """Leaves a session."""
        self._call("POST", f"/review-sessions/{_q(session_id)}/leave")

    def update_review_session(self, session_id: str, *, expected_seq: Optional[int] = None, **state: Any) -> Dict[str, Any]:
        """The driver changes the state: ``media_id``, ``frame``, ``playing``, ``rate``, ``compare``, ``colour``, ``drawing``.

        Others get :class:`PermissionDenied`; with ``expected_seq`` a session that moved on is a :class:`Conflict`.
        Answers ``{"seq", "state"}``.
        """
        names = {"media_id": "mediaId"}
        body: Dict[str, Any] = {names.get(k, k): v for k, v in state.items()}
        if expected_seq is not None:
            body["expectedSeq"] = expected_seq
        return self._call("PATCH", f"/review-sessions/{_q(session_id)}/state", json_body=body).body

    def hand_over_review_session(self, session_id: str, to: str) -> Dict[str, Any]:
        """Hands control to someone in the session (the driver, the owner, supervisors and admins may)."""
        return self._post(f"/review-sessions/{_q(session_id)}/control", {"to": to})

    def add_review_session_note(
        self, session_id: str, content: str, *, media_id: Optional[str] = None, frame: Optional[int] = None
    ) -> Dict[str, Any]:
        """A note on the item and frame the session shows (or the given ones), by you."""
        return self._post(
            f"/review-sessions/{_q(session_id)}/notes", _drop_none({"content": content, "mediaId": media_id, "frame": frame})
        )

    def review_session_updates(self, session_id: str, after: int = 0) -> List[Dict[str, Any]]:
        """The session's events after sequence number ``after``, in order (what a reconnecting client missed)."""
        return self._get(f"/review-sessions/{_q(session_id)}/updates", after=after)

    def end_review_session(self, session_id: str) -> Dict[str, Any]:
        """Ends the session (owner, driver, supervisors, admins) and answers its summary: notes per item, notes-package links."""
        return self._post(f"/review-sessions/{_q(session_id)}/end")

    # ------------------------------------------------------------------ uploads

    def upload_media(
        self,
        file_path: str,
        task_id: str,
        project_id: Optional[str] = None,
        version: Version = None,
        author: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Seq[str]] = None,
        progress: Optional[ProgressCallback] = None,
        *,
        fps: Optional[str] = None,
        upload_url: Optional[str] = None,
        on_upload_created: Optional[Callable[[str], None]] = None,
        direct: Optional[bool] = None,
        direct_upload_id: Optional[str] = None,
        on_direct_upload_created: Optional[Callable[[str], None]] = None,
        direct_parts: Optional[Seq[int]] = None,
    ) -> Media:
        """Publishes a file or an image sequence as a new version of a task and returns the item.

        Args:
            file_path: a file; or an image sequence as a pattern (``beauty.####.exr``,
                ``beauty.%04d.exr``, ``beauty.@@@@.exr``, ``beauty.$F4.exr``) or a folder of frames.
            task_id: e.g. ``ep01_sq010_sh020_lighting``.
            project_id: the project (e.g. ``SWA``); required unless resuming ``upload_url``.
            version: ``"v003"`` or ``3``; the next free version when omitted.
            author: who made it, when that is not the caller (a pipeline publishing for an
                artist). Instance admins and pipeline tokens may name anyone; others only
                themselves (:class:`PermissionDenied` otherwise). Default: the caller.
            description, tags: stored with the item.
            progress: ``progress(bytes_done, bytes_total)``.
            fps: frame rate of a sequence (``"24"``, ``"24000/1001"``) for its proxy.
            upload_url: resume an interrupted single-file upload (see :class:`UploadInterrupted`).
            on_upload_created: told the tus upload URL as soon as it exists (to persist it).
            direct: straight to the object store (decision 160): None (default) when the server
                offers it (S3 storage) and the file is at least 8 MiB; True always; False never.
            direct_upload_id: resume an earlier direct upload of the same file.
            on_direct_upload_created: told the direct upload's id as soon as it exists.
            direct_parts: send only these parts of a direct upload and return None (tests).

        With S3 storage, files of 8 MiB and more go straight to the bucket in parallel parts;
        the server verifies size and sha256 before it records the item. Other single files go through tus resumable uploads with their sha256 for verification:
        a cut connection is resumed (HEAD for the offset, PATCH from there) up to ``retries``
        times; after that :class:`UploadInterrupted` carries the URL to resume later.
        Sequences go through the sequence routes, each frame with its sha256.
        """
        if os.path.isdir(file_path) or (not os.path.exists(file_path) and is_sequence_pattern(file_path)):
            if project_id is None:
                raise ValidationError("project_id is required", code="validation_error")
            seq = resolve_sequence(file_path)
            return self.upload_sequence(
                seq,
                task_id,
                project_id=project_id,
                version=version,
                author=author,
                description=description,
                tags=tags,
                fps=fps,
                progress=progress,
            )
        if upload_url is None and project_id is None and direct_upload_id is None:
            raise ValidationError("project_id is required", code="validation_error")
        if upload_url is None and self._goes_direct(file_path, direct, direct_upload_id, direct_parts):
            start = {
                "fileName": os.path.basename(file_path),
                "projectId": project_id,
                "taskId": task_id,
                "version": _version_str(version),
                "description": description,
                "tags": list(tags) if tags else None,
                "author": author,
            }
            return direct_upload(  # type: ignore[return-value]
                self,
                file_path,
                start,
                progress=progress,
                upload_id=direct_upload_id,
                on_created=on_direct_upload_created,
                only_parts=direct_parts,
            )
        meta = {
            "filename": os.path.basename(file_path),
            "projectId": project_id,
            "taskId": task_id,
            "version": _version_str(version),
            "description": description,
            "tags": ",".join(tags) if tags else None,
            "author": author,
        }
        return self._tus_upload(file_path, meta, progress=progress, upload_url=upload_url, on_created=on_upload_created)

    def create_media_version(
        self,
        media_id: str,
        file_path: str,
        version: Version = None,
        description: Optional[str] = None,
        progress: Optional[ProgressCallback] = None,
        *,
        tags: Optional[Seq[str]] = None,
        fps: Optional[str] = None,
        upload_url: Optional[str] = None,
        author: Optional[str] = None,
    ) -> Media:
        """Publishes a new version of the same task as ``media_id`` (file, pattern or folder).

        ``author`` names who made it when that is not the caller (see :meth:`upload_media`).
        """
        if os.path.isdir(file_path) or (not os.path.exists(file_path) and is_sequence_pattern(file_path)):
            source = self.get_media_by_id(media_id)
            return self.upload_sequence(
                resolve_sequence(file_path),
                source["taskId"],
                project_id=source["projectId"],
                version=version,
                author=author,
                description=description,
                tags=tags,
                fps=fps,
                progress=progress,
            )
        meta = {
            "filename": os.path.basename(file_path),
            "sourceMediaId": media_id,
            "version": _version_str(version),
            "description": description,
            "author": author,
        }
        return self._tus_upload(file_path, meta, progress=progress, upload_url=upload_url)

    def _goes_direct(self, file_path: str, direct: Optional[bool], upload_id: Optional[str], parts: Optional[Seq[int]]) -> bool:
        if upload_id is not None or parts is not None:
            return True
        if direct is False:
            return False
        if direct is True:
            if not self.direct_uploads_offered():
                raise MontuError("this server does not take direct uploads (its storage is not S3, or they are turned off)", code="not_supported", status=501)
            return True
        return os.path.getsize(file_path) >= DIRECT_MIN_BYTES and self.direct_uploads_offered()

    def direct_uploads_offered(self) -> bool:
        """Whether the server takes uploads straight to its object store (asked once)."""
        if self._direct_offer is None:
            self._direct_offer = direct_offered(self)
        return self._direct_offer

    def _tus_upload(
        self,
        file_path: str,
        meta: Mapping[str, Optional[str]],
        *,
        progress: Optional[ProgressCallback],
        upload_url: Optional[str],
        on_created: Optional[Callable[[str], None]] = None,
    ) -> Media:
        size = os.path.getsize(file_path)
        if upload_url is None:
            sha = _sha256_file(file_path)
            created = self._call(
                "POST",
                "/uploads",
                headers={
                    "Tus-Resumable": TUS_VERSION,
                    "Upload-Length": str(size),
                    "Upload-Metadata": _tus_metadata({**meta, "sha256": sha}),
                    # One key per upload: a retried creation (its answer lost) gets the same
                    # upload back instead of starting a second one, so it is safe to retry.
                    "Idempotency-Key": str(uuid.uuid4()),
                },
                idempotent=True,
            )
            location = created.headers.get("location")
            if not location:
                raise MontuError("the server did not return an upload location", code="protocol_error", status=created.status)
            upload_url = urllib.parse.urljoin(self.url + "/", location)
            if on_created is not None:
                on_created(upload_url)
        path = urllib.parse.urlsplit(upload_url).path
        tus = {"Tus-Resumable": TUS_VERSION}
        offset: Optional[int] = None
        failures = 0
        media_id: Optional[str] = None
        while media_id is None:
            try:
                if offset is None:
                    head = self._call("HEAD", path, headers=tus, ok=(404, 410))
                    if head.status in (404, 410):
                        # Gone: it finished (the answer to the last PATCH was lost) or expired.
                        media_id = self._upload_result(path)
                        break
                    offset = int(head.headers.get("upload-offset", "0"))
                    if progress is not None:
                        progress(offset, size)
                if offset >= size and size > 0:
                    media_id = self._upload_result(path)
                    break
                media_id, offset = self._tus_patch(path, file_path, offset, size, progress)
                failures = 0
            except TransportError as e:
                failures += 1
                if failures > self.retries:
                    raise UploadInterrupted(
                        f"upload of {os.path.basename(file_path)} interrupted at byte {offset or 0} of {size}: {e.detail}",
                        upload_url=upload_url,
                        offset=offset or 0,
                        cause=e,
                    ) from e
                self._sleep_before_retry(failures - 1)
                offset = None  # ask the server where it got to
            except MontuError:
                raise
            except Exception as e:  # a progress callback (or anything local) stopped the upload
                raise UploadInterrupted(
                    f"upload of {os.path.basename(file_path)} stopped at byte {offset or 0} of {size}: {e!r}",
                    upload_url=upload_url,
                    offset=offset or 0,
                    cause=e,
                ) from e
        return self.get_media_by_id(media_id)

    def _tus_patch(self, path: str, file_path: str, offset: int, size: int, progress: Optional[ProgressCallback]) -> Tuple[Optional[str], int]:
        """One PATCH from ``offset``: returns (media id when finished, new offset)."""
        length = min(self.chunk_size, size - offset)
        done = [offset]

        def on_read(n: int) -> None:
            done[0] += n
            if progress is not None:
                progress(done[0], size)

        with open(file_path, "rb") as f:
            f.seek(offset)
            reader = _Reader(f, length, on_read)
            try:
                conn, resp = self._open(
                    "PATCH",
                    path,
                    body=reader,
                    headers={
                        "Tus-Resumable": TUS_VERSION,
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(length),
                    },
                )
                try:
                    body = self._read_body(resp)
                    status = resp.status
                    headers = {k.lower(): v for k, v in resp.getheaders()}
                finally:
                    conn.close()
            except _TRANSPORT_ERRORS as e:
                raise TransportError(f"PATCH {path}: {e.__class__.__name__}: {e}", code="connection_error") from e
        problem = body if isinstance(body, dict) else _maybe_json(body)
        if status == 409 and not (isinstance(problem, dict) and problem.get("code")):
            # tus's own 409: our offset is stale; ask the server where it is.
            return None, int(headers.get("upload-offset", offset)) if "upload-offset" in headers else self._head_offset(path)
        if status in RETRY_STATUSES:
            raise TransportError(f"PATCH {path}: HTTP {status}", code="connection_error", status=status)
        if status >= 400:
            raise error_from_problem(status, problem, f"PATCH {path}")
        new_offset = int(headers.get("upload-offset", offset + length))
        return headers.get("montu-media-id"), new_offset

    def _head_offset(self, path: str) -> int:
        head = self._call("HEAD", path, headers={"Tus-Resumable": TUS_VERSION})
        return int(head.headers.get("upload-offset", "0"))

    def _upload_result(self, path: str) -> str:
        """The media id of a finished upload (or the error that refused it)."""
        result = self._call("GET", path + "/result").body or {}
        if result.get("state") == "complete" and result.get("mediaId"):
            return str(result["mediaId"])
        if result.get("state") == "failed":
            raise error_from_problem(int(result.get("error", {}).get("status", 422)), result.get("error", {}), "upload refused")
        raise MontuError(f"upload is {result.get('state')}", code="upload_incomplete")

    def upload_sequence(
        self,
        sequence: Union[str, Sequence],
        task_id: str,
        *,
        project_id: str,
        version: Version = None,
        description: Optional[str] = None,
        tags: Optional[Seq[str]] = None,
        fps: Optional[str] = None,
        progress: Optional[ProgressCallback] = None,
        upload_id: Optional[str] = None,
        author: Optional[str] = None,
    ) -> Media:
        """Publishes an image sequence (pattern, folder or :class:`Sequence`) as one media item.

        Declares the frames with their sizes and sha256, sends each pending frame (a retried
        frame replaces itself), then commits. Give ``upload_id`` (from a :class:`MontuError`'s
        ``details['uploadId']`` after a failure) to send only the frames still missing.
        """
        seq = resolve_sequence(sequence) if isinstance(sequence, str) else sequence
        frames = [{"frame": f.frame, "fileName": f.file_name, "size": os.path.getsize(f.path), "sha256": _sha256_file(f.path)} for f in seq.frames]
        total = sum(int(f["size"]) for f in frames)
        by_frame = {f.frame: f for f in seq.frames}
        if upload_id is None:
            info = self._post(
                "/uploads/sequences",
                _drop_none(
                    {
                        "projectId": project_id,
                        "taskId": task_id,
                        "version": _version_str(version),
                        "author": author,
                        "description": description,
                        "tags": list(tags) if tags else None,
                        "fps": fps,
                        "fileName": seq.name,
                        "frames": frames,
                    }
                ),
            )
            upload_id = str(info["uploadId"])
        else:
            info = self._get(f"/uploads/sequences/{_q(upload_id)}")
        pending = set(int(n) for n in info.get("pendingFrames", []))
        sizes = {int(f["frame"]): int(f["size"]) for f in frames}
        shas = {int(f["frame"]): str(f["sha256"]) for f in frames}
        done = [sum(s for n, s in sizes.items() if n not in pending)]
        if progress is not None:
            progress(done[0], total)
        try:
            for n in sorted(pending):
                frame = by_frame[n]
                start = done[0]

                def fresh(frame_path: str = frame.path, size: int = sizes[n], start: int = start) -> _Reader:
                    done[0] = start  # a retry starts the frame again
                    f = open(frame_path, "rb")
                    readers.append(f)

                    def on_read(k: int) -> None:
                        done[0] += k
                        if progress is not None:
                            progress(done[0], total)

                    return _Reader(f, size, on_read)

                readers: List[IO[bytes]] = []
                try:
                    self._call(
                        "PUT",
                        f"/uploads/sequences/{_q(upload_id)}/frames/{n}",
                        query={"sha256": shas[n]},
                        body=fresh,
                        headers={"Content-Type": "application/octet-stream", "Content-Length": str(sizes[n])},
                    )
                finally:
                    for f in readers:
                        f.close()
            created = self._call("POST", f"/uploads/sequences/{_q(upload_id)}/complete").body
        except MontuError as e:
            e.details.setdefault("uploadId", upload_id)
            raise
        except Exception as e:  # a progress callback (or anything local) stopped the upload
            err = UploadInterrupted(
                f"sequence upload {upload_id} stopped after {done[0]} of {total} bytes: {e!r}",
                upload_url=f"{self.url}{API_PREFIX}/uploads/sequences/{upload_id}",
                offset=done[0],
                cause=e,
            )
            err.details["uploadId"] = upload_id
            raise err from e
        return created

    # ------------------------------------------------------------------ downloads

    def download(
        self,
        media_id: str,
        dest: str,
        rendition: str = "original",
        progress: Optional[ProgressCallback] = None,
        *,
        verify: bool = True,
    ) -> str:
        """Streams a file of a media item to disk and returns the path written.

        ``rendition`` is ``"original"``, ``"thumbnail"``, ``"proxy"``, ``"web"`` or ``"audio"``.
        ``dest`` may be a folder (the server's file name is used) or a file path. An original's
        sha256 is verified (a mismatch removes the file and raises :class:`ChecksumMismatch`).
        The original of an image sequence is its frames: ``dest`` is then a folder and the
        folder is returned. Data goes to a temporary file renamed into place when complete.
        """
        item = self.get_media_by_id(media_id)
        if rendition == "original" and item.get("mediaType") == "sequence":
            return self._download_sequence(item, dest, progress, verify)
        expected = None
        if rendition == "original":
            expected = item.get("sha256")
        if dest.endswith(("/", os.sep)):
            os.makedirs(dest, exist_ok=True)
        target_dir = dest if os.path.isdir(dest) else None
        return self._download_to(
            self._path(f"/media/{_q(media_id)}/files/{_q(rendition)}"),
            dest,
            default_name=item.get("fileName") if rendition == "original" else None,
            into_dir=target_dir,
            expected_sha256=expected if verify else None,
            progress=progress,
        )

    def _download_sequence(self, item: Media, dest: str, progress: Optional[ProgressCallback], verify: bool) -> str:
        os.makedirs(dest, exist_ok=True)
        frames = sorted((f for f in item.get("files", []) if f.get("role") == "frame"), key=lambda f: int(f["frame"]))
        total = sum(int(f.get("size") or 0) for f in frames)
        base = [0]

        def relay(done: int, _t: int) -> None:
            if progress is not None:
                progress(base[0] + done, total)

        for f in frames:
            self._download_to(
                self._path(f"/media/{_q(item['id'])}/files/frames/{int(f['frame'])}"),
                dest,
                default_name=_frame_name(str(item.get("fileName") or ""), int(f["frame"])) or str(f.get("key", "")).split("/")[-1] or None,
                into_dir=dest,
                expected_sha256=f.get("sha256") if verify else None,
                progress=relay,
            )
            base[0] += int(f.get("size") or 0)
        return dest

    def _download_to(
        self,
        path: str,
        dest: str,
        *,
        default_name: Optional[str],
        into_dir: Optional[str],
        expected_sha256: Optional[str],
        progress: Optional[ProgressCallback],
    ) -> str:
        attempt = 0
        while True:
            try:
                return self._download_once(path, dest, default_name, into_dir, expected_sha256, progress)
            except TransportError:
                if attempt >= self.retries:
                    raise
                self._sleep_before_retry(attempt)
                attempt += 1

    def _download_once(
        self,
        path: str,
        dest: str,
        default_name: Optional[str],
        into_dir: Optional[str],
        expected_sha256: Optional[str],
        progress: Optional[ProgressCallback],
    ) -> str:
        conn: Optional[http.client.HTTPConnection] = None
        try:
            conn, resp = self._open("GET", path, headers={"Accept": "*/*"})
            redirects = 0
            while resp.status in (301, 302, 303, 307, 308) and redirects < 5:
                location = resp.getheader("location") or ""
                resp.read()
                conn.close()
                target = urllib.parse.urlsplit(urllib.parse.urljoin(self.url + path, location))
                # A presigned storage URL carries its own authorisation: no bearer token there.
                conn = self._connection(target.hostname, target.port, target.scheme)
                conn.request("GET", target.path + ("?" + target.query if target.query else ""), headers={"User-Agent": self._ua})
                resp = conn.getresponse()
                redirects += 1
            if resp.status >= 400:
                raise error_from_problem(resp.status, _maybe_json(self._read_body(resp)), f"GET {path}")
            name = default_name or _disposition_name(resp.getheader("content-disposition")) or "download"
            name = os.path.basename(name)
            target_path = os.path.join(into_dir, name) if into_dir else dest
            parent = os.path.dirname(os.path.abspath(target_path))
            os.makedirs(parent, exist_ok=True)
            total = int(resp.getheader("content-length") or 0)
            tmp = f"{target_path}.part-{os.getpid()}-{threading.get_ident()}"
            h = hashlib.sha256()
            done = 0
            try:
                with open(tmp, "wb") as out:
                    while True:
                        block = resp.read(_BLOCK)
                        if not block:
                            break
                        out.write(block)
                        h.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
                    out.flush()
                    os.fsync(out.fileno())
                if total and done != total:
                    raise TransportError(f"GET {path}: connection closed after {done} of {total} bytes", code="connection_error")
                if expected_sha256 and h.hexdigest() != expected_sha256.lower():
                    raise ChecksumMismatch(
                        f"downloaded {name} has sha256 {h.hexdigest()}, expected {expected_sha256}",
                        code="checksum_mismatch",
                        details={"expected": expected_sha256, "actual": h.hexdigest()},
                    )
                os.replace(tmp, target_path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            return target_path
        except _NET_ERRORS as e:
            raise TransportError(f"GET {path}: {e.__class__.__name__}: {e}", code="connection_error") from e
        finally:
            if conn is not None:
                conn.close()


def _q(segment: str) -> str:
    return urllib.parse.quote(str(segment), safe="")


def _frame_name(pattern: str, frame: int) -> Optional[str]:
    """``beauty.####.exr`` + 1001 → ``beauty.1001.exr`` (the frame's original name)."""
    m = re.search(r"#+", pattern)
    if not m:
        return None
    digits = str(abs(frame)).zfill(len(m.group(0)))
    return pattern[: m.start()] + ("-" if frame < 0 else "") + digits + pattern[m.end():]


def _maybe_json(body: Any) -> Any:
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return {"detail": body}
    return body


def _disposition_name(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    for part in value.split(";"):
        part = part.strip()
        if part.lower().startswith("filename*="):
            enc = part.split("=", 1)[1]
            if "''" in enc:
                return urllib.parse.unquote(enc.split("''", 1)[1])
        if part.lower().startswith("filename="):
            return part.split("=", 1)[1].strip('"')
    return None
