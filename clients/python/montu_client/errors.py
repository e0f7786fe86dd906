"""Exceptions raised by :mod:`montu_client`.

Every error the server answers is an RFC 9457 ``application/problem+json`` document with a
stable ``code``; it becomes an instance of the matching :class:`MontuError` subclass, so
callers can catch by kind (``except NotFound``) or look at ``err.code``.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type


class MontuError(Exception):
    """Base class of every error raised by the client.

    Attributes:
        code: the server's stable problem code (``not_found``, ``conflict`` …), or a
            client-side code (``connection_error``, ``timeout``, ``checksum_mismatch`` …).
        status: the HTTP status (0 when no response arrived).
        detail: human-readable explanation.
        details: extra structured data from the problem document, if any.
        request_id: the server's request id (for its logs), if any.
    """

    def __init__(
        self,
        detail: str,
        *,
        code: str = "error",
        status: int = 0,
        details: Optional[Mapping[str, Any]] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.detail = detail
        self.details: Dict[str, Any] = dict(details or {})
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status else ""
        return f"{where}{self.code}: {self.detail}"


class ValidationError(MontuError):
    """The request was invalid (``validation_error``, 400)."""


class AuthError(MontuError):
    """Missing or invalid credentials (``unauthorized``, 401)."""


class PermissionDenied(AuthError):
    """Authenticated, but the role is not enough (``forbidden``, 403)."""


class NotFound(MontuError):
    """No such item, or not visible to the caller (``not_found``, 404)."""


class Conflict(MontuError):
    """The request conflicts with the current state, e.g. a version that exists (``conflict``, 409)."""


class ChecksumMismatch(MontuError):
    """The bytes received do not match the sha256 given (``checksum_mismatch``, 422)."""


class ProcessingError(MontuError):
    """The server could not process the media (``processing_error``, 422)."""


class PayloadTooLarge(MontuError):
    """The upload is larger than the server accepts (``payload_too_large``, 413)."""


class NotSupported(MontuError):
    """The server does not support this operation (``not_supported``, 501)."""


class RateLimited(MontuError):
    """Too many requests (``rate_limited``, 429)."""


class ServerError(MontuError):
    """The server failed (``internal_error``, ``storage_error``, ``insufficient_storage``, ``database_busy``; 5xx)."""


class TransportError(MontuError):
    """No usable answer arrived: connection refused or cut, or a timeout (status 0)."""


class ConfigurationError(MontuError, ValueError):
    """A setting the client needs is missing or wrong (e.g. ``MONTU_SERVER`` is not set)."""


class UploadInterrupted(TransportError):
    """A resumable upload stopped before its end.

    ``upload_url`` is the tus upload's URL and ``offset`` the bytes the server had confirmed;
    pass ``upload_url`` to :meth:`MontuClient.upload_media` to resume.
    """

    def __init__(self, detail: str, *, upload_url: str, offset: int, cause: Optional[BaseException] = None) -> None:
        super().__init__(detail, code="upload_interrupted")
        self.upload_url = upload_url
        self.offset = offset
        self.__cause__ = cause


_BY_CODE: Dict[str, Type[MontuError]] = {
    "validation_error": ValidationError,
    "unauthorized": AuthError,
    "forbidden": PermissionDenied,
    "not_found": NotFound,
    "conflict": Conflict,
    "checksum_mismatch": ChecksumMismatch,
    "processing_error": ProcessingError,
    "payload_too_large": PayloadTooLarge,
    "not_supported": NotSupported,
    "rate_limited": RateLimited,
    "internal_error": ServerError,
    "storage_error": ServerError,
    "insufficient_storage": ServerError,
    "database_busy": ServerError,
}

_BY_STATUS: Dict[int, Type[MontuError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
    501: NotSupported,
}


def error_from_problem(status: int, body: Any, fallback: str = "") -> MontuError:
    """Builds the exception for an error answer (a parsed problem document, or anything else)."""
    problem: Mapping[str, Any] = body if isinstance(body, dict) else {}
    code = str(problem.get("code") or "")
    detail = str(problem.get("detail") or problem.get("title") or fallback or f"HTTP {status}")
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status) or (ServerError if status >= 500 else MontuError)
    if not code:
        code = {v: k for k, v in _BY_CODE.items() if k in ("validation_error", "unauthorized", "forbidden", "not_found", "conflict")}.get(cls, "error")
        if cls is ServerError:
            code = "internal_error"
    details = problem.get("details")
    return cls(
        detail,
        code=code,
        status=status,
        details=details if isinstance(details, dict) else None,
        request_id=problem.get("requestId") if isinstance(problem.get("requestId"), str) else None,
    )
