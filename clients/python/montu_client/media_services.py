"""The Montu Manager media services, as its document writes them, over a Montu server.

Scripts written for ``montu.shared.media_service.MediaService`` and
``montu.review_app.services.media_integration.ReviewMediaService`` keep working; only the import
and the construction change::

    from montu_client import MediaService, ReviewMediaService
    media_service = MediaService()          # MONTU_SERVER, MONTU_TOKEN, MONTU_PROJECT
    review_service = ReviewMediaService()

Every method keeps the document's name, parameters, defaults and return type. Records are
dicts in the document's snake_case shape (:func:`montu_client.records.media_record`). A record
that does not exist reads as ``None`` (or ``False`` for a change); anything else that goes wrong
raises a :class:`~montu_client.MontuError` that says what (refused, forbidden, server down…),
never a silent ``False``.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar

from .client import MontuClient
from .errors import ConfigurationError, Conflict, NotFound, ProcessingError, TransportError, ValidationError
from .records import media_record, to_snake

T = TypeVar("T")

# Keys of an annotation as the document writes it (``position`` in pixels of the media).
_ANNOTATION_KEYS = ("type", "content", "author", "position", "frame", "drawing")


def _setting(given: Optional[str], variable: str, what: str) -> str:
    value = given if given is not None else os.environ.get(variable)
    if not value:
        raise ConfigurationError(f"{variable} is not set: {what}", code="configuration_error")
    return value


class _Services:
    """Settings and the client shared by :class:`MediaService` and :class:`ReviewMediaService`."""

    def __init__(
        self,
        *,
        server: Optional[str] = None,
        token: Optional[str] = None,
        project: Optional[str] = None,
        wait_timeout: float = 600.0,
        **client_options: Any,
    ) -> None:
        self.server = _setting(server, "MONTU_SERVER", "give the Montu server's URL, e.g. http://montu:8470 (or server=)")
        token = _setting(token, "MONTU_TOKEN", "give an API token, montu_… (or token=); see docs/auth.md")
        self.project: Optional[str] = project if project is not None else (os.environ.get("MONTU_PROJECT") or None)
        self.wait_timeout = wait_timeout
        self.client = MontuClient(self.server, token, **client_options)

    def _record(self, media: Mapping[str, Any]) -> Dict[str, Any]:
        return media_record(media, self.server)  # type: ignore[arg-type]

    @staticmethod
    def _unless_missing(call: Callable[[], T], missing: T) -> T:
        try:
            return call()
        except NotFound:
            return missing

    def _wait_for_metadata(self, media_id: str) -> None:
        """Waits until the server has read the item's metadata (or given up on it), as the
        document's upload did before returning; at most ``wait_timeout`` seconds."""
        deadline = time.monotonic() + self.wait_timeout
        delay = 0.05
        while True:
            media = self.client.get_media_by_id(media_id)
            probe = (media.get("processing") or {}).get("probe") or {}
            if probe.get("state") in ("done", "failed") or media.get("processingState") not in ("pending", "processing"):
                return
            if time.monotonic() > deadline:
                raise TransportError(f"the metadata of {media_id} was not read within {self.wait_timeout:g} s", code="timeout")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    @staticmethod
    def _done(call: Callable[[], Any]) -> bool:
        """True when ``call`` succeeds, False when the item does not exist; other errors raise."""
        try:
            call()
        except NotFound:
            return False
        return True


class MediaService(_Services):
    """Media files and their versions: upload, look up, search, update, archive, delete.

    Constructed with no arguments it reads ``MONTU_SERVER``, ``MONTU_TOKEN`` and (optionally)
    ``MONTU_PROJECT``; ``server=``, ``token=`` and ``project=`` override them.
    """

    # ------------------------------------------------------------------ upload

    def upload_media(
        self,
        file_path: str,
        task_id: str,
        version: Optional[str] = None,
        author: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
    ) -> str:
        """Publishes a file (or an image sequence pattern) as a version of a task; returns the media id.

        The project is ``MONTU_PROJECT``, or the one project that already holds the task.
        ``author`` is recorded as given when this token may act for others (docs/auth.md).
        Returns once the file is stored and its metadata read (thumbnails and proxies follow).
        """
        media = self.client.upload_media(
            file_path,
            task_id,
            project_id=self._project_for(task_id),
            version=version,
            author=author,
            description=description,
            tags=tags,
        )
        self._wait_for_metadata(str(media["id"]))
        return str(media["id"])

    def create_media_version(
        self,
        source_media_id: str,
        new_file_path: str,
        version: Optional[str] = None,
        author: Optional[str] = None,
        description: Optional[str] = None,
    ) -> str:
        """Publishes a new version of the source item's task; returns the new media id (once its
        metadata is read)."""
        media = self.client.create_media_version(
            source_media_id, new_file_path, version=version, description=description, author=author
        )
        self._wait_for_metadata(str(media["id"]))
        return str(media["id"])

    def _project_for(self, task_id: str) -> str:
        if self.project:
            return self.project
        projects = sorted({str(t["projectId"]) for t in self.client.find_task(task_id)})
        if len(projects) == 1:
            return projects[0]
        where = "no project yet" if not projects else f"several projects ({', '.join(projects)})"
        raise ConfigurationError(
            f"MONTU_PROJECT is not set and task {task_id} is in {where}: set MONTU_PROJECT (or project=) to say which project to publish to.",
            code="configuration_error",
        )

    # ------------------------------------------------------------------ read

    def get_media_by_id(self, media_id: str) -> Optional[Dict[str, Any]]:
        """The media record, or None when there is none."""
        return self._unless_missing(lambda: self._record(self.client.get_media_by_id(media_id)), None)

    def get_media_by_task(self, task_id: str, version: Optional[str] = None) -> List[Dict[str, Any]]:
        """The task's media records (every version, oldest first, or only ``version``); [] when none."""
        items = self._unless_missing(lambda: self.client.get_media_by_task(task_id, version, project_id=self.project), [])
        return [self._record(m) for m in items]

    def get_media_versions(self, task_id: str) -> List[str]:
        """The task's versions, e.g. ``['v001', 'v002']``."""
        return self.client.get_media_versions(task_id, project_id=self.project)

    def search_media(
        self,
        query: Optional[str] = None,
        task_id: Optional[str] = None,
        media_type: Optional[str] = None,
        author: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        status: Optional[str] = None,
        date_from: Optional[str] = None,
        date_to: Optional[str] = None,
        project_id: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Media records matching every filter given, newest first, all pages.

        ``query``: words matched (as prefixes) in file names, descriptions, tags, tasks and authors.
        ``author`` ignores case. ``status`` takes ``pending``, ``approved``, ``rejected`` or a
        workflow status. ``project_id`` defaults to ``MONTU_PROJECT`` (all your projects if unset).
        """
        items = self.client.search_media(
            query,
            task_id=task_id,
            media_type=media_type,
            author=author,
            tags=tags,
            status=status,
            date_from=date_from,
            date_to=date_to,
            project_id=project_id if project_id is not None else self.project,
            max_items=limit,
        )
        return [self._record(m) for m in items]

    def get_media_statistics(self, project_id: Optional[str] = None) -> Dict[str, Any]:
        """``total_media``, ``by_type``, ``by_status`` (pending, approved, rejected, …), ``total_size``,
        ``authors`` and ``versions`` of a project, or of all your projects."""
        return to_snake(self.client.get_media_statistics(project_id), "Statistics")

    # ------------------------------------------------------------------ update

    def update_media_metadata(self, media_id: str, metadata: Mapping[str, Any]) -> bool:
        """Merges technical metadata (any key: ``color_space``, ``render_engine`` …) and, under
        ``custom_properties``, custom properties. A None value removes its key."""
        if not isinstance(metadata, Mapping):
            raise ValidationError("metadata must be a dict", code="validation_error")
        technical = {k: v for k, v in metadata.items() if k != "custom_properties"}
        custom = metadata.get("custom_properties")
        return self._done(
            lambda: self.client.update_media_metadata(media_id, metadata=technical or None, custom_properties=custom)
        )

    def update_media_info(
        self,
        media_id: str,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        review_selected: Optional[bool] = None,
        approval_status: Optional[str] = None,
    ) -> bool:
        """Updates description, tags, review selection and approval status (``approved``,
        ``pending``, ``rejected`` or a workflow status; the project's workflow decides)."""
        return self._done(
            lambda: self.client.update_media_info(
                media_id, description=description, tags=tags, review_selected=review_selected, status=approval_status
            )
        )

    def regenerate_thumbnail(self, media_id: str, timestamp: float = 1.0) -> bool:
        """Remakes the thumbnail (a video's at ``timestamp`` seconds) and waits until it is there.

        Raises :class:`ProcessingError` when it cannot be made, :class:`TransportError` (timeout)
        when it is not made within ``wait_timeout`` seconds.
        """
        try:
            job_id = str(self.client.regenerate_thumbnail(media_id, timestamp=timestamp)["jobId"])
        except NotFound:
            return False
        deadline = time.monotonic() + self.wait_timeout
        delay = 0.1
        while True:
            job = self.client.get_job(job_id)
            if job.get("state") == "done":
                return True
            if job.get("state") == "failed":
                raise ProcessingError(f"the thumbnail of {media_id} could not be made: {job.get('error')}", code="processing_error")
            if time.monotonic() > deadline:
                raise TransportError(f"the thumbnail of {media_id} was not made within {self.wait_timeout:g} s (job {job_id} is {job.get('state')})", code="timeout")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    # ------------------------------------------------------------------ archive, delete, clean up

    def archive_media(self, media_id: str) -> bool:
        """Archives an item: hidden from searches, files kept."""
        return self._done(lambda: self.client.archive_media(media_id))

    def restore_media(self, media_id: str) -> bool:
        """Restores an archived item."""
        return self._done(lambda: self.client.restore_media(media_id))

    def delete_media(self, media_id: str, remove_files: bool = False) -> bool:
        """Deletes an item's record (with ``remove_files=True``, its stored files too)."""
        return self._done(lambda: self.client.delete_media(media_id, remove_files=remove_files))

    def cleanup_orphaned_files(self, dry_run: bool = False) -> Dict[str, Any]:
        """Removes stored files no record points at and marks records whose file is gone.

        The result has ``orphaned_files_removed`` and ``missing_files_cleaned`` (0 in a dry run)
        and the details (``orphan_files``, ``missing_files``, ``corrupt_files`` …).
        """
        return to_snake(self.client.cleanup_orphaned_files(dry_run=dry_run), "OrphanCleanupReport")


class ReviewMediaService(_Services):
    """Review: the queue, submission, notes, approval and rejection, old versions."""

    def get_media_for_review(self, project_id: str, status_filter: Optional[str] = None) -> List[Dict[str, Any]]:
        """Media records of a project waiting for review (or in ``status_filter``: ``pending``,
        ``approved``, ``rejected`` or a workflow status), oldest first."""
        return [self._record(m) for m in self.client.get_media_for_review(project_id, status=status_filter)]

    def submit_for_review(self, media_id: str, submitter: str) -> bool:
        """Submits an item for review, recorded as done by ``submitter``."""
        return self._done(lambda: self.client.submit_for_review(media_id, by=submitter))

    def approve_media(self, media_id: str, approver: str, comment: Optional[str] = None) -> bool:
        """Approves an item, recorded as approved by ``approver``."""
        return self._done(lambda: self.client.approve_media(media_id, comment, by=approver))

    def reject_media(self, media_id: str, reviewer: str, comment: Optional[str] = None) -> bool:
        """Rejects an item, recorded as rejected by ``reviewer``."""
        return self._done(lambda: self.client.reject_media(media_id, comment, by=reviewer))

    def add_review_annotation(self, media_id: str, annotation: Mapping[str, Any]) -> str:
        """Adds a note and returns its id.

        ``annotation`` holds ``content`` and optionally ``type``, ``author``, ``position``
        (``{'x': 100, 'y': 200}`` in pixels of the media, x right and y down), ``frame`` and
        ``drawing`` (docs/review.md). A position on an item whose size is still being read waits
        for it.
        """
        unknown = sorted(set(annotation) - set(_ANNOTATION_KEYS))
        if unknown:
            raise ValidationError(f"unknown annotation keys {unknown}: use {', '.join(_ANNOTATION_KEYS)}", code="validation_error")
        if "content" not in annotation:
            raise ValidationError("an annotation needs its content", code="validation_error")

        def add() -> Dict[str, Any]:
            return self.client.add_review_annotation(
                media_id,
                annotation["content"],
                type=annotation.get("type"),
                author=annotation.get("author"),
                position_px=annotation.get("position"),
                frame=annotation.get("frame"),
                drawing=annotation.get("drawing"),
            )

        try:
            note = add()
        except Conflict as e:
            if e.details.get("reason") != "size_pending":
                raise
            self._wait_for_metadata(media_id)
            note = add()
        return str(note["id"])

    def cleanup_old_media(self, project_id: str, days_old: int = 30, dry_run: bool = False) -> Dict[str, Any]:
        """Archives superseded versions older than ``days_old`` days (not approved, not the
        latest, not put forward for review). The result has ``records_archived`` and the
        ``candidates``."""
        return to_snake(self.client.cleanup_old_media(project_id, days_old=days_old, dry_run=dry_run), "CleanupOldMediaResult")

