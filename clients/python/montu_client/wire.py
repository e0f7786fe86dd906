"""Wire records of the Montu API: TypedDicts and their snake_case names.

Generated from packages/client/openapi.json by clients/python/scripts/generate_wire.py.
Do not edit: change the server's schemas, run ``npm run generate -w @montu/client``, then the script.

``FIELDS[record][wire_name] = (snake_name, shape)``, where a shape is None (a plain value), a record
name, ``("list", shape)`` or ``("map", shape)``; ``montu_client.records.to_snake`` walks it.
Records may carry keys not listed here (newer servers, a studio's own metadata): they are kept.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union

if TYPE_CHECKING:  # Python 3.11+; the types below are strings, never evaluated at run time
    from typing import NotRequired

Alignment = TypedDict(
    'Alignment',
    {
        'mode': "Literal['frame_number', 'frame_index', 'none']",
        'union': 'Optional[FrameRange]',
        'overlap': 'Optional[FrameRange]',
        'offsetA': 'int',
        'offsetB': 'int',
        'sameRate': 'bool',
    },
)

Annotation = TypedDict(
    'Annotation',
    {
        'id': 'str',
        'mediaId': 'str',
        'parentId': 'Optional[str]',
        'author': 'str',
        'type': 'str',
        'content': 'str',
        'frame': 'Optional[int]',
        'frameEnd': 'Optional[int]',
        'revision': 'int',
        'position': 'Optional[NormalisedPoint]',
        'positionPx': 'Optional[PixelPoint]',
        'drawing': 'Optional[Drawing]',
        'mentions': 'List[str]',
        'resolved': 'bool',
        'renditionSha256': 'Optional[str]',
        'playlistId': 'Optional[str]',
        'createdAt': 'str',
        'updatedAt': 'str',
        'sourceFrame': 'Optional[int]',
        'sourceFrameEnd': 'Optional[int]',
        'timecode': 'Optional[str]',
        'timecodeEnd': 'Optional[str]',
        'attachments': 'List[NoteAttachment]',
    },
)

ApiToken = TypedDict(
    'ApiToken',
    {
        'id': 'str',
        'userId': 'str',
        'name': 'str',
        'prefix': 'str',
        'createdAt': 'str',
        'lastUsedAt': 'Optional[str]',
        'expiresAt': 'Optional[str]',
        'revokedAt': 'Optional[str]',
        'actForOthers': 'bool',
    },
)

Approval = TypedDict(
    'Approval',
    {
        'by': 'str',
        'at': 'str',
        'comment': 'Optional[str]',
    },
)

ArrowShape = TypedDict(
    'ArrowShape',
    {
        'type': "Literal['arrow']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'from': 'LineShapeFrom',
        'to': 'LineShapeFrom',
    },
)

AudioInfo = TypedDict(
    'AudioInfo',
    {
        'codec': 'NotRequired[Optional[str]]',
        'profile': 'NotRequired[Optional[str]]',
        'sampleRate': 'NotRequired[Optional[int]]',
        'channels': 'NotRequired[Optional[int]]',
        'channelLayout': 'NotRequired[Optional[str]]',
        'bitDepth': 'NotRequired[Optional[int]]',
        'sampleFormat': 'NotRequired[Optional[str]]',
    },
)

CameraInfo = TypedDict(
    'CameraInfo',
    {
        'make': 'NotRequired[Optional[str]]',
        'model': 'NotRequired[Optional[str]]',
        'lens': 'NotRequired[Optional[str]]',
        'iso': 'NotRequired[Optional[float]]',
        'exposureTime': 'NotRequired[Optional[str]]',
        'fNumber': 'NotRequired[Optional[float]]',
        'focalLength': 'NotRequired[Optional[float]]',
        'dateTaken': 'NotRequired[Optional[str]]',
        'gps': 'NotRequired[Optional[GpsPosition]]',
    },
)

CleanupOldMediaResult = TypedDict(
    'CleanupOldMediaResult',
    {
        'dryRun': 'bool',
        'action': "Literal['archive', 'delete']",
        'candidates': 'List[CleanupOldMediaResultCandidatesItem]',
        'recordsArchived': 'int',
        'recordsDeleted': 'int',
    },
)

CleanupOldMediaResultCandidatesItem = TypedDict(
    'CleanupOldMediaResultCandidatesItem',
    {
        'id': 'str',
        'taskId': 'str',
        'version': 'str',
        'createdAt': 'str',
        'size': 'int',
    },
)

ColourDisplay = TypedDict(
    'ColourDisplay',
    {
        'name': 'str',
        'isDefault': 'bool',
        'views': 'List[ColourView]',
    },
)

ColourView = TypedDict(
    'ColourView',
    {
        'name': 'str',
        'isDefault': 'bool',
    },
)

# Displays and views of the colour-managed viewer
ColourViews = TypedDict(
    'ColourViews',
    {
        'transform': "Literal['ocio', 'builtin']",
        'config': 'Optional[str]',
        'displays': 'List[ColourDisplay]',
        'default': 'ColourViewsDefault',
    },
)

# The display/view thumbnails and web images are rendered with
ColourViewsDefault = TypedDict(
    'ColourViewsDefault',
    {
        'display': 'str',
        'view': 'str',
    },
)

CompareResult = TypedDict(
    'CompareResult',
    {
        'projectId': 'str',
        'taskId': 'str',
        'a': 'CompareSide',
        'b': 'CompareSide',
        'alignment': 'Alignment',
    },
)

CompareSide = TypedDict(
    'CompareSide',
    {
        'media': 'MediaSummary',
        'renditions': 'List[MediaFile]',
        'frameFiles': 'int',
        'timing': 'MediaTiming',
        'frames': 'Optional[FrameRange]',
        'notes': 'List[ReviewNote]',
    },
)

# Vector shapes normalised to the picture (see docs/review.md)
Drawing = TypedDict(
    'Drawing',
    {
        'version': 'float',
        'shapes': 'List[Union[FreehandShape, LineShape, ArrowShape, RectShape, EllipseShape, TextShape]]',
    },
)

EllipseShape = TypedDict(
    'EllipseShape',
    {
        'type': "Literal['ellipse']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'cx': 'float',
        'cy': 'float',
        'rx': 'float',
        'ry': 'float',
        'fill': 'NotRequired[str]',
    },
)

ExrPart = TypedDict(
    'ExrPart',
    {
        'index': 'NotRequired[int]',
        'name': 'NotRequired[Optional[str]]',
        'view': 'NotRequired[Optional[str]]',
        'type': 'NotRequired[Optional[str]]',
        'width': 'NotRequired[Optional[int]]',
        'height': 'NotRequired[Optional[int]]',
        'dataWindow': 'NotRequired[Optional[PixelWindow]]',
        'displayWindow': 'NotRequired[Optional[PixelWindow]]',
        'channelNames': 'NotRequired[List[str]]',
        'channelTypes': 'NotRequired[List[str]]',
        'compression': 'NotRequired[Optional[str]]',
    },
)

FrameRange = TypedDict(
    'FrameRange',
    {
        'start': 'int',
        'end': 'int',
    },
)

FreehandShape = TypedDict(
    'FreehandShape',
    {
        'type': "Literal['freehand']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'points': 'List[FreehandShapePointsItem]',
    },
)

FreehandShapePointsItem = TypedDict(
    'FreehandShapePointsItem',
    {
        'x': 'float',
        'y': 'float',
        'pressure': 'NotRequired[float]',
    },
)

GpsPosition = TypedDict(
    'GpsPosition',
    {
        'latitude': 'NotRequired[float]',
        'longitude': 'NotRequired[float]',
        'altitude': 'NotRequired[Optional[float]]',
    },
)

HistoryEntry = TypedDict(
    'HistoryEntry',
    {
        'id': 'str',
        'at': 'str',
        'actor': 'str',
        'action': 'str',
        'label': 'str',
        'projectId': 'Optional[str]',
        'subjectType': 'str',
        'subjectId': 'str',
        'from': 'Optional[str]',
        'to': 'Optional[str]',
        'comment': 'Optional[str]',
        'data': 'Optional[Dict[str, Any]]',
    },
)

Job = TypedDict(
    'Job',
    {
        'id': 'str',
        'type': "Literal['probe', 'thumbnail', 'proxy', 'webhook.deliver']",
        'mediaId': 'Optional[str]',
        'projectId': 'Optional[str]',
        'state': "Literal['queued', 'running', 'done', 'failed']",
        'attempts': 'int',
        'maxAttempts': 'int',
        'progress': 'int',
        'error': 'Optional[str]',
        'runAfter': 'str',
        'lockedBy': 'Optional[str]',
        'createdAt': 'str',
        'startedAt': 'Optional[str]',
        'finishedAt': 'Optional[str]',
        'updatedAt': 'str',
    },
)

# Something that happened in the library, after its transaction committed
LibraryEvent = TypedDict(
    'LibraryEvent',
    {
        'id': 'str',
        'type': 'str',
        'at': 'str',
        'projectId': 'Optional[str]',
        'mediaId': 'NotRequired[str]',
        'actor': 'NotRequired[str]',
        'data': 'NotRequired[Dict[str, Any]]',
    },
)

LineShape = TypedDict(
    'LineShape',
    {
        'type': "Literal['line']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'from': 'LineShapeFrom',
        'to': 'LineShapeFrom',
    },
)

LineShapeFrom = TypedDict(
    'LineShapeFrom',
    {
        'x': 'float',
        'y': 'float',
    },
)

Media = TypedDict(
    'Media',
    {
        'id': 'str',
        'projectId': 'str',
        'taskId': 'str',
        'version': 'str',
        'versionNumber': 'int',
        'mediaType': "Literal['image', 'video', 'audio', 'sequence']",
        'fileName': 'str',
        'mimeType': 'str',
        'size': 'int',
        'sha256': 'str',
        'author': 'str',
        'description': 'str',
        'tags': 'List[str]',
        'status': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'reviewSelected': 'bool',
        'approval': 'Optional[Approval]',
        'archivedAt': 'Optional[str]',
        'processingState': "Literal['pending', 'processing', 'ready', 'failed']",
        'processingError': 'Optional[str]',
        'processing': 'NotRequired[Dict[str, StepProcessing]]',
        'metadata': 'MediaMetadata',
        'startTimecode': 'Optional[str]',
        'startFrame': 'Optional[int]',
        'customProperties': 'Dict[str, Any]',
        'files': 'List[MediaFile]',
        'createdAt': 'str',
        'updatedAt': 'str',
    },
)

MediaFile = TypedDict(
    'MediaFile',
    {
        'id': 'str',
        'role': "Literal['original', 'frame', 'thumbnail', 'proxy', 'web', 'audio_preview', 'attachment', 'sprite', 'web_float', 'frame_float', 'waveform']",
        'frame': 'Optional[int]',
        'backend': 'str',
        'key': 'str',
        'size': 'int',
        'sha256': 'str',
        'contentType': 'str',
        'state': "Literal['pending', 'processing', 'ready', 'failed', 'missing', 'corrupt']",
        'error': 'Optional[str]',
        'createdAt': 'str',
        'info': 'Optional[RenditionInfo]',
    },
)

# Technical metadata: measured by the probe (docs/media-processing.md), plus any key a studio records itself
MediaMetadata = TypedDict(
    'MediaMetadata',
    {
        'schema': 'NotRequired[int]',
        'mediaType': 'NotRequired[str]',
        'format': 'NotRequired[str]',
        'mimeType': 'NotRequired[str]',
        'container': 'NotRequired[Optional[str]]',
        'fileSize': 'NotRequired[int]',
        'size': 'NotRequired[int]',
        'sha256': 'NotRequired[Optional[str]]',
        'width': 'NotRequired[Optional[int]]',
        'height': 'NotRequired[Optional[int]]',
        'pixelAspect': 'NotRequired[Optional[float]]',
        'rotation': 'NotRequired[Optional[int]]',
        'orientation': 'NotRequired[Optional[int]]',
        'channels': 'NotRequired[Optional[int]]',
        'channelNames': 'NotRequired[Optional[List[str]]]',
        'bitDepth': 'NotRequired[Optional[int]]',
        'pixelType': 'NotRequired[Optional[str]]',
        'pixelFormat': 'NotRequired[Optional[str]]',
        'colourSpace': 'NotRequired[Optional[str]]',
        'colourPrimaries': 'NotRequired[Optional[str]]',
        'colourTransfer': 'NotRequired[Optional[str]]',
        'colourMatrix': 'NotRequired[Optional[str]]',
        'colourRange': 'NotRequired[Optional[str]]',
        'compression': 'NotRequired[Optional[str]]',
        'subimages': 'NotRequired[Optional[int]]',
        'parts': 'NotRequired[Optional[List[ExrPart]]]',
        'dataWindow': 'NotRequired[Optional[PixelWindow]]',
        'displayWindow': 'NotRequired[Optional[PixelWindow]]',
        'linear': 'NotRequired[bool]',
        'fps': 'NotRequired[Optional[str]]',
        'baseFps': 'NotRequired[Optional[str]]',
        'duration': 'NotRequired[Optional[float]]',
        'durationRational': 'NotRequired[Optional[str]]',
        'frameCount': 'NotRequired[Optional[int]]',
        'frameCountSource': "NotRequired[Optional[Literal['container', 'estimated', 'None']]]",
        'frameStart': 'NotRequired[int]',
        'frameEnd': 'NotRequired[int]',
        'missingFrames': 'NotRequired[List[int]]',
        'timecode': 'NotRequired[Optional[str]]',
        'videoCodec': 'NotRequired[Optional[str]]',
        'videoProfile': 'NotRequired[Optional[str]]',
        'bitRate': 'NotRequired[Optional[float]]',
        'audio': 'NotRequired[Optional[AudioInfo]]',
        'streams': 'NotRequired[List[StreamSummary]]',
        'camera': 'NotRequired[Optional[CameraInfo]]',
        'tags': 'NotRequired[Dict[str, str]]',
        'warnings': 'NotRequired[List[str]]',
        'sources': 'NotRequired[List[str]]',
    },
)

MediaSummary = TypedDict(
    'MediaSummary',
    {
        'id': 'str',
        'projectId': 'str',
        'taskId': 'str',
        'version': 'str',
        'versionNumber': 'int',
        'mediaType': "Literal['image', 'video', 'audio', 'sequence']",
        'fileName': 'str',
        'mimeType': 'str',
        'size': 'int',
        'sha256': 'str',
        'author': 'str',
        'description': 'str',
        'tags': 'List[str]',
        'status': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'reviewSelected': 'bool',
        'approval': 'Optional[Approval]',
        'archivedAt': 'Optional[str]',
        'processingState': "Literal['pending', 'processing', 'ready', 'failed']",
        'processingError': 'Optional[str]',
        'processing': 'NotRequired[Dict[str, StepProcessing]]',
        'metadata': 'MediaMetadata',
        'startTimecode': 'Optional[str]',
        'startFrame': 'Optional[int]',
        'customProperties': 'Dict[str, Any]',
        'createdAt': 'str',
        'updatedAt': 'str',
    },
)

MediaTiming = TypedDict(
    'MediaTiming',
    {
        'fps': 'Optional[str]',
        'dropFrame': 'bool',
        'frameStart': 'Optional[int]',
        'frameEnd': 'Optional[int]',
        'frameCount': 'Optional[int]',
        'numbering': "Optional[Literal['frame_number', 'frame_index', 'None']]",
        'startTimecode': 'Optional[str]',
        'startFrame': 'Optional[int]',
    },
)

Membership = TypedDict(
    'Membership',
    {
        'projectId': 'str',
        'userId': 'str',
        'role': "Literal['artist', 'supervisor', 'admin']",
        'createdAt': 'str',
        'username': 'NotRequired[str]',
    },
)

NewWebhook = TypedDict(
    'NewWebhook',
    {
        'id': 'str',
        'url': 'str',
        'events': 'List[str]',
        'projectId': 'Optional[str]',
        'active': 'bool',
        'description': 'str',
        'createdBy': 'str',
        'createdAt': 'str',
        'updatedAt': 'str',
        'secret': 'str',
    },
)

# Normalised 0–1 (x right, y down)
NormalisedPoint = TypedDict(
    'NormalisedPoint',
    {
        'x': 'float',
        'y': 'float',
    },
)

NoteAttachment = TypedDict(
    'NoteAttachment',
    {
        'fileId': 'str',
        'fileName': 'str',
        'contentType': 'str',
        'size': 'int',
        'sha256': 'str',
        'width': 'Optional[int]',
        'height': 'Optional[int]',
        'createdAt': 'str',
    },
)

OcioSettings = TypedDict(
    'OcioSettings',
    {
        'config': 'str',
        'display': 'str',
        'view': 'str',
    },
)

OrphanCleanupReport = TypedDict(
    'OrphanCleanupReport',
    {
        'dryRun': 'bool',
        'orphanFiles': 'List[str]',
        'missingFiles': 'List[OrphanCleanupReportMissingFilesItem]',
        'corruptFiles': 'List[OrphanCleanupReportCorruptFilesItem]',
        'temporaryFiles': 'List[str]',
        'staleReservations': 'int',
        'orphanedFilesRemoved': 'int',
        'missingFilesCleaned': 'int',
        'clean': 'bool',
    },
)

OrphanCleanupReportCorruptFilesItem = TypedDict(
    'OrphanCleanupReportCorruptFilesItem',
    {
        'mediaId': 'str',
        'key': 'str',
        'role': 'str',
        'expected': 'str',
        'actual': 'str',
    },
)

OrphanCleanupReportMissingFilesItem = TypedDict(
    'OrphanCleanupReportMissingFilesItem',
    {
        'mediaId': 'str',
        'key': 'str',
        'role': 'str',
    },
)

# Pixels of the upright picture (x right, y down)
PixelPoint = TypedDict(
    'PixelPoint',
    {
        'x': 'float',
        'y': 'float',
    },
)

# Inclusive pixel bounds, as EXR headers store them
PixelWindow = TypedDict(
    'PixelWindow',
    {
        'xMin': 'NotRequired[int]',
        'yMin': 'NotRequired[int]',
        'xMax': 'NotRequired[int]',
        'yMax': 'NotRequired[int]',
        'width': 'NotRequired[int]',
        'height': 'NotRequired[int]',
    },
)

# A playlist with its items in order
Playlist = TypedDict(
    'Playlist',
    {
        'id': 'str',
        'projectId': 'str',
        'name': 'str',
        'date': 'Optional[str]',
        'owner': 'str',
        'description': 'str',
        'createdAt': 'str',
        'updatedAt': 'str',
        'items': 'List[PlaylistItem]',
    },
)

PlaylistItem = TypedDict(
    'PlaylistItem',
    {
        'position': 'int',
        'mediaId': 'str',
        'addedBy': 'str',
        'addedAt': 'str',
        'media': 'MediaSummary',
    },
)

PlaylistSummary = TypedDict(
    'PlaylistSummary',
    {
        'id': 'str',
        'projectId': 'str',
        'name': 'str',
        'date': 'Optional[str]',
        'owner': 'str',
        'description': 'str',
        'createdAt': 'str',
        'updatedAt': 'str',
        'itemCount': 'int',
    },
)

# RFC 9457 problem details
Problem = TypedDict(
    'Problem',
    {
        'type': 'str',
        'title': 'str',
        'status': 'int',
        'detail': 'str',
        'code': 'str',
        'instance': 'str',
        'requestId': 'str',
        'details': 'NotRequired[Dict[str, Any]]',
    },
)

Project = TypedDict(
    'Project',
    {
        'id': 'str',
        'name': 'str',
        'settings': 'ProjectSettings',
        'createdAt': 'str',
        'updatedAt': 'str',
    },
)

ProjectSettings = TypedDict(
    'ProjectSettings',
    {
        'defaultFps': 'NotRequired[str]',
        'workflow': 'NotRequired[Workflow]',
        'movieStartFrame': "NotRequired[Union[int, Literal['timecode']]]",
    },
)

RectShape = TypedDict(
    'RectShape',
    {
        'type': "Literal['rect']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'x': 'float',
        'y': 'float',
        'w': 'float',
        'h': 'float',
        'fill': 'NotRequired[str]',
    },
)

# How a rendition was made (a sprite sheet: its tile index)
RenditionInfo = TypedDict(
    'RenditionInfo',
    {
        'width': 'NotRequired[int]',
        'height': 'NotRequired[int]',
        'transform': "NotRequired[Literal['none', 'srgb', 'filmic', 'ocio']]",
        'ocio': 'NotRequired[OcioSettings]',
        'timestamp': 'NotRequired[float]',
        'fps': 'NotRequired[str]',
        'duration': 'NotRequired[Optional[float]]',
        'tileWidth': 'NotRequired[int]',
        'tileHeight': 'NotRequired[int]',
        'columns': 'NotRequired[int]',
        'rows': 'NotRequired[int]',
        'offsets': 'NotRequired[List[int]]',
        'peaksPerSecond': 'NotRequired[int]',
        'values': "NotRequired[Literal['scene_linear', 'source']]",
        'floatError': 'NotRequired[str]',
    },
)

ReviewNote = TypedDict(
    'ReviewNote',
    {
        'id': 'str',
        'mediaId': 'str',
        'parentId': 'Optional[str]',
        'author': 'str',
        'type': 'str',
        'content': 'str',
        'frame': 'Optional[int]',
        'frameEnd': 'Optional[int]',
        'revision': 'int',
        'position': 'Optional[NormalisedPoint]',
        'positionPx': 'Optional[PixelPoint]',
        'drawing': 'Optional[Drawing]',
        'mentions': 'List[str]',
        'resolved': 'bool',
        'renditionSha256': 'Optional[str]',
        'playlistId': 'Optional[str]',
        'createdAt': 'str',
        'updatedAt': 'str',
        'sourceFrame': 'Optional[int]',
        'sourceFrameEnd': 'Optional[int]',
        'timecode': 'Optional[str]',
        'timecodeEnd': 'Optional[str]',
        'attachments': 'List[NoteAttachment]',
    },
)

ReviewSession = TypedDict(
    'ReviewSession',
    {
        'id': 'str',
        'projectId': 'str',
        'playlistId': 'Optional[str]',
        'mediaId': 'Optional[str]',
        'owner': 'str',
        'driver': 'str',
        'status': "Literal['live', 'ended']",
        'seq': 'int',
        'state': 'ReviewSessionState',
        'items': 'List[str]',
        'presence': 'List[SessionPresence]',
        'createdAt': 'str',
        'updatedAt': 'str',
        'endedAt': 'Optional[str]',
        'endedBy': 'Optional[str]',
        'joinPath': 'str',
    },
)

# One accepted update, as stored and as streamed (id: = seq)
ReviewSessionEvent = TypedDict(
    'ReviewSessionEvent',
    {
        'seq': 'int',
        'type': "Literal['started', 'state', 'presence', 'control', 'note', 'ended']",
        'actor': 'str',
        'at': 'str',
        'data': 'Dict[str, Any]',
    },
)

ReviewSessionState = TypedDict(
    'ReviewSessionState',
    {
        'mediaId': 'str',
        'frame': 'int',
        'playing': 'bool',
        'frameAt': 'Optional[float]',
        'rate': 'float',
        'compare': 'Optional[SessionCompare]',
        'colour': 'SessionColour',
        'drawing': 'Optional[Drawing]',
    },
)

ReviewSessionSummary = TypedDict(
    'ReviewSessionSummary',
    {
        'session': 'ReviewSession',
        'items': 'List[ReviewSessionSummaryItem]',
        'noteCount': 'int',
        'playlistExport': 'Optional[str]',
    },
)

ReviewSessionSummaryItem = TypedDict(
    'ReviewSessionSummaryItem',
    {
        'mediaId': 'str',
        'taskId': 'str',
        'version': 'str',
        'notes': 'List[ReviewNote]',
        'notesPackage': 'str',
    },
)

# The driver's colour view of a live review session
SessionColour = TypedDict(
    'SessionColour',
    {
        'display': 'Optional[str]',
        'view': 'Optional[str]',
        'exposure': 'float',
        'gamma': 'float',
        'channel': "Literal['rgb', 'r', 'g', 'b', 'a', 'luminance']",
    },
)

SessionCompare = TypedDict(
    'SessionCompare',
    {
        'mediaId': 'str',
        'layout': "Literal['side', 'wipe', 'overlay', 'difference', 'toggle']",
        'wipe': 'float',
        'opacity': 'float',
    },
)

SessionPresence = TypedDict(
    'SessionPresence',
    {
        'username': 'str',
        'joinedAt': 'str',
        'lastSeenAt': 'str',
    },
)

# Media statistics (archived items not counted)
Statistics = TypedDict(
    'Statistics',
    {
        'projectId': 'Optional[str]',
        'totalMedia': 'int',
        'byType': 'Dict[str, int]',
        'byStatus': 'Dict[str, int]',
        'totalSize': 'int',
        'authors': 'List[StatisticsAuthorsItem]',
        'versions': 'StatisticsVersions',
        'versionsPerTask': 'List[StatisticsVersionsPerTaskItem]',
        'approvalsByDay': 'List[StatisticsApprovalsByDayItem]',
    },
)

StatisticsApprovalsByDayItem = TypedDict(
    'StatisticsApprovalsByDayItem',
    {
        'date': 'str',
        'count': 'int',
    },
)

StatisticsAuthorsItem = TypedDict(
    'StatisticsAuthorsItem',
    {
        'author': 'str',
        'count': 'int',
    },
)

StatisticsVersions = TypedDict(
    'StatisticsVersions',
    {
        'tasks': 'int',
        'total': 'int',
        'averagePerTask': 'float',
        'maxPerTask': 'int',
    },
)

StatisticsVersionsPerTaskItem = TypedDict(
    'StatisticsVersionsPerTaskItem',
    {
        'projectId': 'str',
        'taskId': 'str',
        'versions': 'int',
    },
)

# What your role may do with the item now (which buttons to show)
StatusOptions = TypedDict(
    'StatusOptions',
    {
        'status': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'role': "Optional[Literal['artist', 'supervisor', 'admin', 'None']]",
        'targets': 'List[StatusOptionsTargetsItem]',
        'canSelectForReview': 'bool',
    },
)

StatusOptionsTargetsItem = TypedDict(
    'StatusOptionsTargetsItem',
    {
        'to': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'action': 'str',
    },
)

# The latest job of one processing step
StepProcessing = TypedDict(
    'StepProcessing',
    {
        'jobId': 'str',
        'state': "Literal['queued', 'running', 'done', 'failed']",
        'progress': 'int',
        'attempts': 'int',
        'error': 'Optional[str]',
        'updatedAt': 'str',
    },
)

StreamSummary = TypedDict(
    'StreamSummary',
    {
        'index': 'NotRequired[int]',
        'type': "NotRequired[Literal['video', 'audio', 'subtitle', 'data', 'attachment', 'unknown']]",
        'codec': 'NotRequired[Optional[str]]',
        'attachedPicture': 'NotRequired[bool]',
        'language': 'NotRequired[Optional[str]]',
        'width': 'NotRequired[Optional[int]]',
        'height': 'NotRequired[Optional[int]]',
        'fps': 'NotRequired[Optional[str]]',
        'sampleRate': 'NotRequired[Optional[int]]',
        'channels': 'NotRequired[Optional[int]]',
    },
)

Task = TypedDict(
    'Task',
    {
        'projectId': 'str',
        'id': 'str',
        'episode': 'Optional[str]',
        'sequence': 'Optional[str]',
        'shot': 'Optional[str]',
        'step': 'Optional[str]',
        'createdAt': 'str',
    },
)

TextShape = TypedDict(
    'TextShape',
    {
        'type': "Literal['text']",
        'id': 'NotRequired[str]',
        'author': 'NotRequired[str]',
        'color': 'str',
        'width': 'float',
        'x': 'float',
        'y': 'float',
        'text': 'str',
        'size': 'NotRequired[float]',
    },
)

# One allowed status change and the roles that may make it
Transition = TypedDict(
    'Transition',
    {
        'action': 'str',
        'from': "List[Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']]",
        'to': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'roles': "List[Literal['artist', 'supervisor', 'admin']]",
    },
)

User = TypedDict(
    'User',
    {
        'id': 'str',
        'username': 'str',
        'displayName': 'str',
        'email': 'Optional[str]',
        'isAdmin': 'bool',
        'disabled': 'bool',
        'hasPassword': 'bool',
        'createdAt': 'str',
        'updatedAt': 'str',
    },
)

# Audio peaks of a movie with sound, served as the `waveform` rendition (GET /media/:id/files/waveform)
WaveformPeaks = TypedDict(
    'WaveformPeaks',
    {
        'version': 'float',
        'peaksPerSecond': 'float',
        'duration': 'float',
        'peaks': 'List[float]',
    },
)

Webhook = TypedDict(
    'Webhook',
    {
        'id': 'str',
        'url': 'str',
        'events': 'List[str]',
        'projectId': 'Optional[str]',
        'active': 'bool',
        'description': 'str',
        'createdBy': 'str',
        'createdAt': 'str',
        'updatedAt': 'str',
    },
)

WebhookDelivery = TypedDict(
    'WebhookDelivery',
    {
        'id': 'str',
        'webhookId': 'str',
        'eventId': 'str',
        'eventType': 'str',
        'state': "Literal['pending', 'delivered', 'failed']",
        'attempts': 'int',
        'nextAttemptAt': 'str',
        'lastStatus': 'Optional[int]',
        'lastError': 'Optional[str]',
        'createdAt': 'str',
        'deliveredAt': 'Optional[str]',
    },
)

# A review workflow as data: its transitions and who may make them
Workflow = TypedDict(
    'Workflow',
    {
        'initial': "Literal['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold']",
        'transitions': 'List[Transition]',
        'reviewSelectRoles': "NotRequired[List[Literal['artist', 'supervisor', 'admin']]]",
    },
)

FIELDS: Dict[str, Dict[str, Tuple[str, Any]]] = {
    'Alignment': {
        'mode': ('mode', None),
        'union': ('union', 'FrameRange'),
        'overlap': ('overlap', 'FrameRange'),
        'offsetA': ('offset_a', None),
        'offsetB': ('offset_b', None),
        'sameRate': ('same_rate', None),
    },
    'Annotation': {
        'id': ('id', None),
        'mediaId': ('media_id', None),
        'parentId': ('parent_id', None),
        'author': ('author', None),
        'type': ('type', None),
        'content': ('content', None),
        'frame': ('frame', None),
        'frameEnd': ('frame_end', None),
        'revision': ('revision', None),
        'position': ('position', 'NormalisedPoint'),
        'positionPx': ('position_px', 'PixelPoint'),
        'drawing': ('drawing', 'Drawing'),
        'mentions': ('mentions', None),
        'resolved': ('resolved', None),
        'renditionSha256': ('rendition_sha256', None),
        'playlistId': ('playlist_id', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'sourceFrame': ('source_frame', None),
        'sourceFrameEnd': ('source_frame_end', None),
        'timecode': ('timecode', None),
        'timecodeEnd': ('timecode_end', None),
        'attachments': ('attachments', ('list', 'NoteAttachment')),
    },
    'ApiToken': {
        'id': ('id', None),
        'userId': ('user_id', None),
        'name': ('name', None),
        'prefix': ('prefix', None),
        'createdAt': ('created_at', None),
        'lastUsedAt': ('last_used_at', None),
        'expiresAt': ('expires_at', None),
        'revokedAt': ('revoked_at', None),
        'actForOthers': ('act_for_others', None),
    },
    'Approval': {
        'by': ('by', None),
        'at': ('at', None),
        'comment': ('comment', None),
    },
    'ArrowShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'from': ('from', 'LineShapeFrom'),
        'to': ('to', 'LineShapeFrom'),
    },
    'AudioInfo': {
        'codec': ('codec', None),
        'profile': ('profile', None),
        'sampleRate': ('sample_rate', None),
        'channels': ('channels', None),
        'channelLayout': ('channel_layout', None),
        'bitDepth': ('bit_depth', None),
        'sampleFormat': ('sample_format', None),
    },
    'CameraInfo': {
        'make': ('make', None),
        'model': ('model', None),
        'lens': ('lens', None),
        'iso': ('iso', None),
        'exposureTime': ('exposure_time', None),
        'fNumber': ('f_number', None),
        'focalLength': ('focal_length', None),
        'dateTaken': ('date_taken', None),
        'gps': ('gps', 'GpsPosition'),
    },
    'CleanupOldMediaResult': {
        'dryRun': ('dry_run', None),
        'action': ('action', None),
        'candidates': ('candidates', ('list', 'CleanupOldMediaResultCandidatesItem')),
        'recordsArchived': ('records_archived', None),
        'recordsDeleted': ('records_deleted', None),
    },
    'CleanupOldMediaResultCandidatesItem': {
        'id': ('id', None),
        'taskId': ('task_id', None),
        'version': ('version', None),
        'createdAt': ('created_at', None),
        'size': ('size', None),
    },
    'ColourDisplay': {
        'name': ('name', None),
        'isDefault': ('is_default', None),
        'views': ('views', ('list', 'ColourView')),
    },
    'ColourView': {
        'name': ('name', None),
        'isDefault': ('is_default', None),
    },
    'ColourViews': {
        'transform': ('transform', None),
        'config': ('config', None),
        'displays': ('displays', ('list', 'ColourDisplay')),
        'default': ('default', 'ColourViewsDefault'),
    },
    'ColourViewsDefault': {
        'display': ('display', None),
        'view': ('view', None),
    },
    'CompareResult': {
        'projectId': ('project_id', None),
        'taskId': ('task_id', None),
        'a': ('a', 'CompareSide'),
        'b': ('b', 'CompareSide'),
        'alignment': ('alignment', 'Alignment'),
    },
    'CompareSide': {
        'media': ('media', 'MediaSummary'),
        'renditions': ('renditions', ('list', 'MediaFile')),
        'frameFiles': ('frame_files', None),
        'timing': ('timing', 'MediaTiming'),
        'frames': ('frames', 'FrameRange'),
        'notes': ('notes', ('list', 'ReviewNote')),
    },
    'Drawing': {
        'version': ('version', None),
        'shapes': ('shapes', ('list', 'FreehandShape')),
    },
    'EllipseShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'cx': ('cx', None),
        'cy': ('cy', None),
        'rx': ('rx', None),
        'ry': ('ry', None),
        'fill': ('fill', None),
    },
    'ExrPart': {
        'index': ('index', None),
        'name': ('name', None),
        'view': ('view', None),
        'type': ('type', None),
        'width': ('width', None),
        'height': ('height', None),
        'dataWindow': ('data_window', 'PixelWindow'),
        'displayWindow': ('display_window', 'PixelWindow'),
        'channelNames': ('channel_names', None),
        'channelTypes': ('channel_types', None),
        'compression': ('compression', None),
    },
    'FrameRange': {
        'start': ('start', None),
        'end': ('end', None),
    },
    'FreehandShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'points': ('points', ('list', 'FreehandShapePointsItem')),
    },
    'FreehandShapePointsItem': {
        'x': ('x', None),
        'y': ('y', None),
        'pressure': ('pressure', None),
    },
    'GpsPosition': {
        'latitude': ('latitude', None),
        'longitude': ('longitude', None),
        'altitude': ('altitude', None),
    },
    'HistoryEntry': {
        'id': ('id', None),
        'at': ('at', None),
        'actor': ('actor', None),
        'action': ('action', None),
        'label': ('label', None),
        'projectId': ('project_id', None),
        'subjectType': ('subject_type', None),
        'subjectId': ('subject_id', None),
        'from': ('from', None),
        'to': ('to', None),
        'comment': ('comment', None),
        'data': ('data', None),
    },
    'Job': {
        'id': ('id', None),
        'type': ('type', None),
        'mediaId': ('media_id', None),
        'projectId': ('project_id', None),
        'state': ('state', None),
        'attempts': ('attempts', None),
        'maxAttempts': ('max_attempts', None),
        'progress': ('progress', None),
        'error': ('error', None),
        'runAfter': ('run_after', None),
        'lockedBy': ('locked_by', None),
        'createdAt': ('created_at', None),
        'startedAt': ('started_at', None),
        'finishedAt': ('finished_at', None),
        'updatedAt': ('updated_at', None),
    },
    'LibraryEvent': {
        'id': ('id', None),
        'type': ('type', None),
        'at': ('at', None),
        'projectId': ('project_id', None),
        'mediaId': ('media_id', None),
        'actor': ('actor', None),
        'data': ('data', None),
    },
    'LineShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'from': ('from', 'LineShapeFrom'),
        'to': ('to', 'LineShapeFrom'),
    },
    'LineShapeFrom': {
        'x': ('x', None),
        'y': ('y', None),
    },
    'Media': {
        'id': ('id', None),
        'projectId': ('project_id', None),
        'taskId': ('task_id', None),
        'version': ('version', None),
        'versionNumber': ('version_number', None),
        'mediaType': ('media_type', None),
        'fileName': ('file_name', None),
        'mimeType': ('mime_type', None),
        'size': ('size', None),
        'sha256': ('sha256', None),
        'author': ('author', None),
        'description': ('description', None),
        'tags': ('tags', None),
        'status': ('status', None),
        'reviewSelected': ('review_selected', None),
        'approval': ('approval', 'Approval'),
        'archivedAt': ('archived_at', None),
        'processingState': ('processing_state', None),
        'processingError': ('processing_error', None),
        'processing': ('processing', ('map', 'StepProcessing')),
        'metadata': ('metadata', 'MediaMetadata'),
        'startTimecode': ('start_timecode', None),
        'startFrame': ('start_frame', None),
        'customProperties': ('custom_properties', None),
        'files': ('files', ('list', 'MediaFile')),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
    },
    'MediaFile': {
        'id': ('id', None),
        'role': ('role', None),
        'frame': ('frame', None),
        'backend': ('backend', None),
        'key': ('key', None),
        'size': ('size', None),
        'sha256': ('sha256', None),
        'contentType': ('content_type', None),
        'state': ('state', None),
        'error': ('error', None),
        'createdAt': ('created_at', None),
        'info': ('info', 'RenditionInfo'),
    },
    'MediaMetadata': {
        'schema': ('schema', None),
        'mediaType': ('media_type', None),
        'format': ('format', None),
        'mimeType': ('mime_type', None),
        'container': ('container', None),
        'fileSize': ('file_size', None),
        'size': ('size', None),
        'sha256': ('sha256', None),
        'width': ('width', None),
        'height': ('height', None),
        'pixelAspect': ('pixel_aspect', None),
        'rotation': ('rotation', None),
        'orientation': ('orientation', None),
        'channels': ('channels', None),
        'channelNames': ('channel_names', None),
        'bitDepth': ('bit_depth', None),
        'pixelType': ('pixel_type', None),
        'pixelFormat': ('pixel_format', None),
        'colourSpace': ('colour_space', None),
        'colourPrimaries': ('colour_primaries', None),
        'colourTransfer': ('colour_transfer', None),
        'colourMatrix': ('colour_matrix', None),
        'colourRange': ('colour_range', None),
        'compression': ('compression', None),
        'subimages': ('subimages', None),
        'parts': ('parts', ('list', 'ExrPart')),
        'dataWindow': ('data_window', 'PixelWindow'),
        'displayWindow': ('display_window', 'PixelWindow'),
        'linear': ('linear', None),
        'fps': ('fps', None),
        'baseFps': ('base_fps', None),
        'duration': ('duration', None),
        'durationRational': ('duration_rational', None),
        'frameCount': ('frame_count', None),
        'frameCountSource': ('frame_count_source', None),
        'frameStart': ('frame_start', None),
        'frameEnd': ('frame_end', None),
        'missingFrames': ('missing_frames', None),
        'timecode': ('timecode', None),
        'videoCodec': ('video_codec', None),
        'videoProfile': ('video_profile', None),
        'bitRate': ('bit_rate', None),
        'audio': ('audio', 'AudioInfo'),
        'streams': ('streams', ('list', 'StreamSummary')),
        'camera': ('camera', 'CameraInfo'),
        'tags': ('tags', None),
        'warnings': ('warnings', None),
        'sources': ('sources', None),
    },
    'MediaSummary': {
        'id': ('id', None),
        'projectId': ('project_id', None),
        'taskId': ('task_id', None),
        'version': ('version', None),
        'versionNumber': ('version_number', None),
        'mediaType': ('media_type', None),
        'fileName': ('file_name', None),
        'mimeType': ('mime_type', None),
        'size': ('size', None),
        'sha256': ('sha256', None),
        'author': ('author', None),
        'description': ('description', None),
        'tags': ('tags', None),
        'status': ('status', None),
        'reviewSelected': ('review_selected', None),
        'approval': ('approval', 'Approval'),
        'archivedAt': ('archived_at', None),
        'processingState': ('processing_state', None),
        'processingError': ('processing_error', None),
        'processing': ('processing', ('map', 'StepProcessing')),
        'metadata': ('metadata', 'MediaMetadata'),
        'startTimecode': ('start_timecode', None),
        'startFrame': ('start_frame', None),
        'customProperties': ('custom_properties', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
    },
    'MediaTiming': {
        'fps': ('fps', None),
        'dropFrame': ('drop_frame', None),
        'frameStart': ('frame_start', None),
        'frameEnd': ('frame_end', None),
        'frameCount': ('frame_count', None),
        'numbering': ('numbering', None),
        'startTimecode': ('start_timecode', None),
        'startFrame': ('start_frame', None),
    },
    'Membership': {
        'projectId': ('project_id', None),
        'userId': ('user_id', None),
        'role': ('role', None),
        'createdAt': ('created_at', None),
        'username': ('username', None),
    },
    'NewWebhook': {
        'id': ('id', None),
        'url': ('url', None),
        'events': ('events', None),
        'projectId': ('project_id', None),
        'active': ('active', None),
        'description': ('description', None),
        'createdBy': ('created_by', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'secret': ('secret', None),
    },
    'NormalisedPoint': {
        'x': ('x', None),
        'y': ('y', None),
    },
    'NoteAttachment': {
        'fileId': ('file_id', None),
        'fileName': ('file_name', None),
        'contentType': ('content_type', None),
        'size': ('size', None),
        'sha256': ('sha256', None),
        'width': ('width', None),
        'height': ('height', None),
        'createdAt': ('created_at', None),
    },
    'OcioSettings': {
        'config': ('config', None),
        'display': ('display', None),
        'view': ('view', None),
    },
    'OrphanCleanupReport': {
        'dryRun': ('dry_run', None),
        'orphanFiles': ('orphan_files', None),
        'missingFiles': ('missing_files', ('list', 'OrphanCleanupReportMissingFilesItem')),
        'corruptFiles': ('corrupt_files', ('list', 'OrphanCleanupReportCorruptFilesItem')),
        'temporaryFiles': ('temporary_files', None),
        'staleReservations': ('stale_reservations', None),
        'orphanedFilesRemoved': ('orphaned_files_removed', None),
        'missingFilesCleaned': ('missing_files_cleaned', None),
        'clean': ('clean', None),
    },
    'OrphanCleanupReportCorruptFilesItem': {
        'mediaId': ('media_id', None),
        'key': ('key', None),
        'role': ('role', None),
        'expected': ('expected', None),
        'actual': ('actual', None),
    },
    'OrphanCleanupReportMissingFilesItem': {
        'mediaId': ('media_id', None),
        'key': ('key', None),
        'role': ('role', None),
    },
    'PixelPoint': {
        'x': ('x', None),
        'y': ('y', None),
    },
    'PixelWindow': {
        'xMin': ('x_min', None),
        'yMin': ('y_min', None),
        'xMax': ('x_max', None),
        'yMax': ('y_max', None),
        'width': ('width', None),
        'height': ('height', None),
    },
    'Playlist': {
        'id': ('id', None),
        'projectId': ('project_id', None),
        'name': ('name', None),
        'date': ('date', None),
        'owner': ('owner', None),
        'description': ('description', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'items': ('items', ('list', 'PlaylistItem')),
    },
    'PlaylistItem': {
        'position': ('position', None),
        'mediaId': ('media_id', None),
        'addedBy': ('added_by', None),
        'addedAt': ('added_at', None),
        'media': ('media', 'MediaSummary'),
    },
    'PlaylistSummary': {
        'id': ('id', None),
        'projectId': ('project_id', None),
        'name': ('name', None),
        'date': ('date', None),
        'owner': ('owner', None),
        'description': ('description', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'itemCount': ('item_count', None),
    },
    'Problem': {
        'type': ('type', None),
        'title': ('title', None),
        'status': ('status', None),
        'detail': ('detail', None),
        'code': ('code', None),
        'instance': ('instance', None),
        'requestId': ('request_id', None),
        'details': ('details', None),
    },
    'Project': {
        'id': ('id', None),
        'name': ('name', None),
        'settings': ('settings', 'ProjectSettings'),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
    },
    'ProjectSettings': {
        'defaultFps': ('default_fps', None),
        'workflow': ('workflow', 'Workflow'),
        'movieStartFrame': ('movie_start_frame', None),
    },
    'RectShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'x': ('x', None),
        'y': ('y', None),
        'w': ('w', None),
        'h': ('h', None),
        'fill': ('fill', None),
    },
    'RenditionInfo': {
        'width': ('width', None),
        'height': ('height', None),
        'transform': ('transform', None),
        'ocio': ('ocio', 'OcioSettings'),
        'timestamp': ('timestamp', None),
        'fps': ('fps', None),
        'duration': ('duration', None),
        'tileWidth': ('tile_width', None),
        'tileHeight': ('tile_height', None),
        'columns': ('columns', None),
        'rows': ('rows', None),
        'offsets': ('offsets', None),
        'peaksPerSecond': ('peaks_per_second', None),
        'values': ('values', None),
        'floatError': ('float_error', None),
    },
    'ReviewNote': {
        'id': ('id', None),
        'mediaId': ('media_id', None),
        'parentId': ('parent_id', None),
        'author': ('author', None),
        'type': ('type', None),
        'content': ('content', None),
        'frame': ('frame', None),
        'frameEnd': ('frame_end', None),
        'revision': ('revision', None),
        'position': ('position', 'NormalisedPoint'),
        'positionPx': ('position_px', 'PixelPoint'),
        'drawing': ('drawing', 'Drawing'),
        'mentions': ('mentions', None),
        'resolved': ('resolved', None),
        'renditionSha256': ('rendition_sha256', None),
        'playlistId': ('playlist_id', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'sourceFrame': ('source_frame', None),
        'sourceFrameEnd': ('source_frame_end', None),
        'timecode': ('timecode', None),
        'timecodeEnd': ('timecode_end', None),
        'attachments': ('attachments', ('list', 'NoteAttachment')),
    },
    'ReviewSession': {
        'id': ('id', None),
        'projectId': ('project_id', None),
        'playlistId': ('playlist_id', None),
        'mediaId': ('media_id', None),
        'owner': ('owner', None),
        'driver': ('driver', None),
        'status': ('status', None),
        'seq': ('seq', None),
        'state': ('state', 'ReviewSessionState'),
        'items': ('items', None),
        'presence': ('presence', ('list', 'SessionPresence')),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
        'endedAt': ('ended_at', None),
        'endedBy': ('ended_by', None),
        'joinPath': ('join_path', None),
    },
    'ReviewSessionEvent': {
        'seq': ('seq', None),
        'type': ('type', None),
        'actor': ('actor', None),
        'at': ('at', None),
        'data': ('data', None),
    },
    'ReviewSessionState': {
        'mediaId': ('media_id', None),
        'frame': ('frame', None),
        'playing': ('playing', None),
        'frameAt': ('frame_at', None),
        'rate': ('rate', None),
        'compare': ('compare', 'SessionCompare'),
        'colour': ('colour', 'SessionColour'),
        'drawing': ('drawing', 'Drawing'),
    },
    'ReviewSessionSummary': {
        'session': ('session', 'ReviewSession'),
        'items': ('items', ('list', 'ReviewSessionSummaryItem')),
        'noteCount': ('note_count', None),
        'playlistExport': ('playlist_export', None),
    },
    'ReviewSessionSummaryItem': {
        'mediaId': ('media_id', None),
        'taskId': ('task_id', None),
        'version': ('version', None),
        'notes': ('notes', ('list', 'ReviewNote')),
        'notesPackage': ('notes_package', None),
    },
    'SessionColour': {
        'display': ('display', None),
        'view': ('view', None),
        'exposure': ('exposure', None),
        'gamma': ('gamma', None),
        'channel': ('channel', None),
    },
    'SessionCompare': {
        'mediaId': ('media_id', None),
        'layout': ('layout', None),
        'wipe': ('wipe', None),
        'opacity': ('opacity', None),
    },
    'SessionPresence': {
        'username': ('username', None),
        'joinedAt': ('joined_at', None),
        'lastSeenAt': ('last_seen_at', None),
    },
    'Statistics': {
        'projectId': ('project_id', None),
        'totalMedia': ('total_media', None),
        'byType': ('by_type', None),
        'byStatus': ('by_status', None),
        'totalSize': ('total_size', None),
        'authors': ('authors', ('list', 'StatisticsAuthorsItem')),
        'versions': ('versions', 'StatisticsVersions'),
        'versionsPerTask': ('versions_per_task', ('list', 'StatisticsVersionsPerTaskItem')),
        'approvalsByDay': ('approvals_by_day', ('list', 'StatisticsApprovalsByDayItem')),
    },
    'StatisticsApprovalsByDayItem': {
        'date': ('date', None),
        'count': ('count', None),
    },
    'StatisticsAuthorsItem': {
        'author': ('author', None),
        'count': ('count', None),
    },
    'StatisticsVersions': {
        'tasks': ('tasks', None),
        'total': ('total', None),
        'averagePerTask': ('average_per_task', None),
        'maxPerTask': ('max_per_task', None),
    },
    'StatisticsVersionsPerTaskItem': {
        'projectId': ('project_id', None),
        'taskId': ('task_id', None),
        'versions': ('versions', None),
    },
    'StatusOptions': {
        'status': ('status', None),
        'role': ('role', None),
        'targets': ('targets', ('list', 'StatusOptionsTargetsItem')),
        'canSelectForReview': ('can_select_for_review', None),
    },
    'StatusOptionsTargetsItem': {
        'to': ('to', None),
        'action': ('action', None),
    },
    'StepProcessing': {
        'jobId': ('job_id', None),
        'state': ('state', None),
        'progress': ('progress', None),
        'attempts': ('attempts', None),
        'error': ('error', None),
        'updatedAt': ('updated_at', None),
    },
    'StreamSummary': {
        'index': ('index', None),
        'type': ('type', None),
        'codec': ('codec', None),
        'attachedPicture': ('attached_picture', None),
        'language': ('language', None),
        'width': ('width', None),
        'height': ('height', None),
        'fps': ('fps', None),
        'sampleRate': ('sample_rate', None),
        'channels': ('channels', None),
    },
    'Task': {
        'projectId': ('project_id', None),
        'id': ('id', None),
        'episode': ('episode', None),
        'sequence': ('sequence', None),
        'shot': ('shot', None),
        'step': ('step', None),
        'createdAt': ('created_at', None),
    },
    'TextShape': {
        'type': ('type', None),
        'id': ('id', None),
        'author': ('author', None),
        'color': ('color', None),
        'width': ('width', None),
        'x': ('x', None),
        'y': ('y', None),
        'text': ('text', None),
        'size': ('size', None),
    },
    'Transition': {
        'action': ('action', None),
        'from': ('from', None),
        'to': ('to', None),
        'roles': ('roles', None),
    },
    'User': {
        'id': ('id', None),
        'username': ('username', None),
        'displayName': ('display_name', None),
        'email': ('email', None),
        'isAdmin': ('is_admin', None),
        'disabled': ('disabled', None),
        'hasPassword': ('has_password', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
    },
    'WaveformPeaks': {
        'version': ('version', None),
        'peaksPerSecond': ('peaks_per_second', None),
        'duration': ('duration', None),
        'peaks': ('peaks', None),
    },
    'Webhook': {
        'id': ('id', None),
        'url': ('url', None),
        'events': ('events', None),
        'projectId': ('project_id', None),
        'active': ('active', None),
        'description': ('description', None),
        'createdBy': ('created_by', None),
        'createdAt': ('created_at', None),
        'updatedAt': ('updated_at', None),
    },
    'WebhookDelivery': {
        'id': ('id', None),
        'webhookId': ('webhook_id', None),
        'eventId': ('event_id', None),
        'eventType': ('event_type', None),
        'state': ('state', None),
        'attempts': ('attempts', None),
        'nextAttemptAt': ('next_attempt_at', None),
        'lastStatus': ('last_status', None),
        'lastError': ('last_error', None),
        'createdAt': ('created_at', None),
        'deliveredAt': ('delivered_at', None),
    },
    'Workflow': {
        'initial': ('initial', None),
        'transitions': ('transitions', ('list', 'Transition')),
        'reviewSelectRoles': ('review_select_roles', None),
    },
}
