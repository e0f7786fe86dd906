"""Records in snake_case, from the API's schemas (montu_client/wire.py, generated).

:func:`to_snake` gives any wire record with snake_case keys (``projectId`` → ``project_id``),
walking nested records, lists and maps as the OpenAPI document declares them. Keys the
document does not declare (a studio's own metadata, fields of a newer server) are kept as
they are. :func:`media_record` is a media item in the shape of the Montu Manager media services
document: ``to_snake`` plus the few values that document names and the API does not carry
under those names.
"""
from __future__ import annotations

import posixpath
import urllib.parse
from typing import Any, Dict, Optional

from .wire import FIELDS, Media


def to_snake(value: Any, shape: Any) -> Any:
    """``value`` (a wire record, or a list or map of them, as ``shape`` says) in snake_case."""
    if value is None or shape is None:
        return value
    if isinstance(shape, tuple):
        kind, inner = shape
        if kind == "list" and isinstance(value, list):
            return [to_snake(v, inner) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: to_snake(v, inner) for k, v in value.items()}
        return value
    if not isinstance(value, dict):
        return value
    fields = FIELDS[shape]
    # Undeclared keys first, so a declared field wins when both spell the same snake_case name.
    out: Dict[str, Any] = {k: v for k, v in value.items() if k not in fields}
    for key, v in value.items():
        if key in fields:
            name, inner = fields[key]
            out[name] = to_snake(v, inner)
    return out


# Metadata the document names and the API keeps elsewhere or spells otherwise (decision 098):
# the document's name -> how to find it in the snake_case metadata.
_DOCUMENT_METADATA = {
    "codec": lambda m: m.get("video_codec") or (m.get("audio") or {}).get("codec"),
    "color_space": lambda m: m.get("colour_space"),
    "sample_rate": lambda m: (m.get("audio") or {}).get("sample_rate"),
    "channels": lambda m: m.get("channels") if m.get("channels") is not None else (m.get("audio") or {}).get("channels"),
}
# Always present in the document's metadata (None where they do not apply or are not known yet).
_DOCUMENT_KEYS = ("file_size", "width", "height", "duration", "fps", "frame_count")


def media_record(media: Media, server: str) -> Dict[str, Any]:
    """A media item as the Montu Manager media services document shows it.

    Every field of the API in snake_case (``file_name``, ``task_id``, ``media_type``,
    ``review_selected`` …), and: ``file_path``, the storage key of the original (of the frames'
    folder for a sequence); ``thumbnail_path``, the thumbnail's URL on ``server`` (None until
    there is one); ``metadata`` with ``file_size``, ``width``, ``height``, ``duration``, ``fps``
    (exact, e.g. ``"24000/1001"``), ``frame_count``, ``codec``, ``color_space``, ``channels`` and
    ``sample_rate`` where they apply, the studio's own keys as they were given, and
    ``custom_properties``.
    """
    record: Dict[str, Any] = to_snake(media, "Media")
    metadata: Dict[str, Any] = dict(record.get("metadata") or {})
    for name, find in _DOCUMENT_METADATA.items():
        if metadata.get(name) is None:
            metadata[name] = find(metadata)
    if metadata.get("file_size") is None:
        metadata["file_size"] = record.get("size")
    for name in _DOCUMENT_KEYS:
        metadata.setdefault(name, None)
    metadata["custom_properties"] = record.get("custom_properties") or {}
    record["metadata"] = metadata
    files = record.get("files") or []
    record["file_path"] = _original_key(files)
    thumb = next((f for f in files if f.get("role") == "thumbnail" and f.get("state") == "ready"), None)
    record["thumbnail_path"] = (
        f"{server.rstrip('/')}/api/v1/media/{urllib.parse.quote(str(record['id']), safe='')}/files/thumbnail"
        if thumb
        else None
    )
    return record


def _original_key(files: Any) -> Optional[str]:
    for f in files:
        if f.get("role") == "original":
            return str(f.get("key"))
    frames = [f for f in files if f.get("role") == "frame"]
    return posixpath.dirname(str(frames[0].get("key"))) if frames else None
