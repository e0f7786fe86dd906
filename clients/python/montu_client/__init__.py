"""montu_client — the Python client of Montu (standard library only, Python 3.9+).

    from montu_client import MontuClient, NotFound
    montu = MontuClient("http://montu:8470", token="montu_…")
    for item in montu.search_media(task_id="ep01_sq010_sh020_lighting", status="approved"):
        print(item["version"], item["fileName"])

Scripts written for the Montu Manager media services run on :class:`MediaService` and
:class:`ReviewMediaService` (settings from MONTU_SERVER, MONTU_TOKEN, MONTU_PROJECT).
"""
__version__ = "0.1.0"

from .client import MontuClient, Media, ProgressCallback  # noqa: E402
from .errors import (  # noqa: E402
    AuthError,
    ChecksumMismatch,
    ConfigurationError,
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
from .media_services import MediaService, ReviewMediaService  # noqa: E402
from .records import media_record, to_snake  # noqa: E402

__all__ = [
    "MontuClient",
    "MediaService",
    "ReviewMediaService",
    "Media",
    "ProgressCallback",
    "media_record",
    "to_snake",
    "MontuError",
    "ConfigurationError",
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
