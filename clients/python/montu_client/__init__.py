"""montu_client — the Python client of Montu (standard library only, Python 3.9+).

    from montu_client import MontuClient, NotFound
    montu = MontuClient("http://montu:8470", token="montu_…")
    for item in montu.search_media(task_id="ep01_sq010_sh020_lighting", status="approved"):
        print(item["version"], item["fileName"])
"""
__version__ = "0.1.0"

from .client import MontuClient, Media, ProgressCallback  # noqa: E402
from .errors import (  # noqa: E402
    AuthError,
    ChecksumMismatch,
    Conflict,
    MontuError,
    NotFound,
    NotSupported,
    PayloadTooLarge,
    PermissionDenied,
    ProcessingError,
    RateLimited,
    ServerError,
    TransportError,
    UploadInterrupted,
    ValidationError,
)
from .sequences import Frame, Sequence, is_sequence_pattern, resolve_sequence  # noqa: E402

__all__ = [
    "MontuClient",
    "Media",
    "ProgressCallback",
    "MontuError",
    "AuthError",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "ValidationError",
    "ChecksumMismatch",
    "ProcessingError",
    "PayloadTooLarge",
    "NotSupported",
    "RateLimited",
    "ServerError",
    "TransportError",
    "UploadInterrupted",
    "Frame",
    "Sequence",
    "is_sequence_pattern",
    "resolve_sequence",
    "__version__",
]
