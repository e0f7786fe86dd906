"""The Montu Manager media services document's examples, run as written against a real `montu serve`.

Each block below is copied verbatim from the document (seed/montu-manager-media-services.md):
only the import and construction lines change (`from montu_client import MediaService`,
`media_service = MediaService()`; the review service's construction is already the same). The
lines between blocks, marked "glue", bind what the document leaves to the reader
(`original_media_id`, `video_media_id`, which item a block acts on) and check each result.
`test_blocks_are_the_documents` proves the blocks are the document's, when the document is there.

The document's files are at `/path/to/render.jpg` and `/path/to/render_v002.jpg`: the test puts
real JPEGs there (made with ffmpeg) for its run, under a lock, and removes them afterwards.
"""
from __future__ import annotations

import ast
import contextlib
import fcntl
import io
import os
import re
import shutil
import tempfile
import textwrap
import unittest
from typing import Any, Dict, Iterator, List

from montu_server import REPO, environment, ffmpeg, project, server

from montu_client import MontuClient, NotFound

DOC_DIR = "/path/to"
RENDER = "/path/to/render.jpg"
RENDER_V002 = "/path/to/render_v002.jpg"
SEED = os.environ.get("MONTU_SEED_DOC") or os.path.join(os.path.dirname(REPO), "shared", "seed", "montu-manager-media-services.md")


@contextlib.contextmanager
def document_files(files: Dict[str, List[str]]) -> Iterator[None]:
    """Makes each file (ffmpeg arguments before the output) at the document's own path for the
    duration, and removes what it made afterwards. Runs on one machine take turns (a lock in the
    temporary folder), so one never removes another's files."""
    with open(os.path.join(tempfile.gettempdir(), "montu-document-examples.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made: List[str] = []
        try:
            for d in ("/path", DOC_DIR):
                if not os.path.isdir(d):
                    os.mkdir(d)
                    made.append(d)
            for path in files:
                if os.path.exists(path):
                    raise RuntimeError(f"{path} exists and is not ours: move it away to run the document's examples")
            try:
                for path, args in files.items():
                    ffmpeg(*args, path)
                yield
            finally:
                for path in files:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(path)
        finally:
            for d in reversed(made):
                with contextlib.suppress(OSError):
                    os.rmdir(d)


def setUpModule() -> None:
    server()


class ManagerDocumentExamples(unittest.TestCase):
    admin: MontuClient

    @classmethod
    def setUpClass(cls) -> None:
        cls.admin = server().client()
        project(cls.admin, "SWA")
        cls.tmp = tempfile.mkdtemp(prefix="montu-doc-")
        cls.video = os.path.join(cls.tmp, "sh030_anim.mp4")
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-t", "6", "-pix_fmt", "yuv420p", "-c:v", "libx264", cls.video)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_documents_examples_run_as_written(self) -> None:
        out = io.StringIO()
        files = {
            RENDER: ["-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1", "-q:v", "3"],
            RENDER_V002: ["-f", "lavfi", "-i", "smptehdbars=size=640x480", "-frames:v", "1", "-q:v", "3"],
        }
        srv = server()
        try:
            with document_files(files), environment(MONTU_SERVER=srv.url or "", MONTU_TOKEN=srv.token or "", MONTU_PROJECT="SWA"):
                sizes = {p: os.path.getsize(p) for p in files}
                with contextlib.redirect_stdout(out):
                    ids = self.examples()
        except PermissionError as e:
            self.skipTest(f"the document's files go in {DOC_DIR}, which this user cannot make: {e}")
        printed = out.getvalue().splitlines()
        stats = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in printed if ": " in line}
        video_size = os.path.getsize(self.video)

        # What the document prints.
        self.assertEqual(printed[:4], ["File: render.jpg", f"Size: {sizes[RENDER]} bytes", "Resolution: 640x480", "Available versions: ['v001', 'v002']"])
        self.assertEqual(stats["Total Media"], "3")
        self.assertEqual(ast.literal_eval(stats["By Type"]), {"image": 2, "video": 1})
        self.assertEqual(ast.literal_eval(stats["By Status"]), {"approved": 1, "wip": 2})
        self.assertEqual(stats["Total Size"], f"{sizes[RENDER] + sizes[RENDER_V002] + video_size} bytes")
        self.assertEqual(ast.literal_eval(stats["Authors"]), [{"author": "John Doe", "count": 3}])
        self.assertEqual(ast.literal_eval(stats["Versions"]), {"tasks": 2, "total": 3, "average_per_task": 1.5, "max_per_task": 2})
        self.assertEqual(printed[-2:], ["Cleaned up 0 missing files", "Archived 0 old records"])

        # What the server recorded: names as given, and who really acted.
        original = self.admin.get_media_by_id(ids["original_media_id"])
        self.assertEqual(original["author"], "John Doe")
        self.assertEqual(original["status"], "approved")
        self.assertIsNone(original["archivedAt"])
        history = self.admin.get_media_history(ids["original_media_id"])
        self.assertEqual(history[0]["actor"], "John Doe via admin (first-run admin token)")
        self.assertEqual([h["action"] for h in history][-2:], ["media.archived", "media.restored"])
        with self.assertRaises(NotFound):
            self.admin.get_media_by_id(ids["new_media_id"])
        stored = os.path.join(srv.data_dir, "storage", "SWA", "ep01_sq010_sh020_lighting")
        self.assertEqual(sorted(os.listdir(stored)), ["v001"], "remove_files=True removed v002's files")
        video = self.admin.get_media_by_id(ids["video_media_id"])
        thumb = next(f for f in video["files"] if f["role"] == "thumbnail")
        self.assertEqual(thumb["info"]["timestamp"], 5.0)

    def examples(self) -> Dict[str, Any]:
        # ---- Upload Media File
        from montu_client import MediaService

        # Initialize services
        media_service = MediaService()

        # Upload media file
        media_id = media_service.upload_media(
            file_path="/path/to/render.jpg",
            task_id="ep01_sq010_sh020_lighting",
            version="v001",
            author="John Doe",
            description="Lighting render for review",
            tags=["lighting", "render", "review"]
        )
        # glue
        self.assertIsInstance(media_id, str)

        # ---- Get Media by ID
        # Retrieve specific media record
        media_record = media_service.get_media_by_id(media_id)

        # Access media information
        print(f"File: {media_record['file_name']}")
        print(f"Size: {media_record['metadata']['file_size']} bytes")
        print(f"Resolution: {media_record['metadata']['width']}x{media_record['metadata']['height']}")

        # glue: the rest of the document's record
        self.assertEqual(media_record["task_id"], "ep01_sq010_sh020_lighting")
        self.assertEqual((media_record["project_id"], media_record["version"], media_record["author"]), ("SWA", "v001", "John Doe"))
        self.assertEqual(media_record["tags"], ["lighting", "render", "review"])
        self.assertEqual(media_record["media_type"], "image")
        self.assertEqual(media_record["file_path"], "SWA/ep01_sq010_sh020_lighting/v001/ep01_sq010_sh020_lighting_v001.jpg")
        self.assertIn("codec", media_record["metadata"])
        self.assertEqual(media_record["metadata"]["custom_properties"], {})
        for key in ("status", "review_selected", "created_at", "updated_at", "thumbnail_path", "description"):
            self.assertIn(key, media_record)

        # ---- Get Media by Task
        # Get all media for a task
        task_media = media_service.get_media_by_task("ep01_sq010_sh020_lighting")

        # Get media for specific version
        version_media = media_service.get_media_by_task("ep01_sq010_sh020_lighting", "v001")

        # glue
        self.assertEqual([m["id"] for m in task_media], [media_id])
        self.assertEqual([m["version"] for m in version_media], ["v001"])

        # ---- Search Media
        # Search media by content
        search_results = media_service.search_media(
            query="lighting render",
            task_id="ep01_sq010_sh020_lighting",
            media_type="image",
            author="John Doe"
        )

        # glue
        self.assertEqual([m["id"] for m in search_results], [media_id])

        # ---- Update Media Metadata
        # Update technical metadata
        success = media_service.update_media_metadata(media_id, {
            'color_space': 'sRGB',
            'render_engine': 'Arnold',
            'render_time': 45.2,
            'custom_properties': {
                'lighting_setup': 'three_point',
                'quality_level': 'final'
            }
        })

        # glue
        self.assertIs(success, True)
        metadata = media_service.get_media_by_id(media_id)["metadata"]
        self.assertEqual((metadata["color_space"], metadata["render_engine"], metadata["render_time"]), ("sRGB", "Arnold", 45.2))
        self.assertEqual(metadata["custom_properties"], {"lighting_setup": "three_point", "quality_level": "final"})

        # ---- Update Media Information
        # Update media description and tags
        success = media_service.update_media_info(
            media_id,
            description="Final lighting render - approved",
            tags=["lighting", "final", "approved"],
            review_selected=True,
            approval_status="approved"
        )

        # glue
        self.assertIs(success, True)
        updated = media_service.get_media_by_id(media_id)
        self.assertEqual((updated["description"], updated["status"], updated["review_selected"]), ("Final lighting render - approved", "approved", True))
        original_media_id = media_id

        # ---- Create Media Version
        # Create new version of existing media
        new_media_id = media_service.create_media_version(
            source_media_id=original_media_id,
            new_file_path="/path/to/render_v002.jpg",
            version="v002",
            author="John Doe",
            description="Updated lighting with client feedback"
        )

        # ---- Get All Versions
        # Get all versions for a task
        versions = media_service.get_media_versions("ep01_sq010_sh020_lighting")
        print(f"Available versions: {versions}")  # ['v001', 'v002', 'v003']

        # glue: a video for the thumbnail example
        video_media_id = media_service.upload_media(self.video, "ep01_sq010_sh030_anim", author="John Doe")

        # ---- Regenerate Thumbnails
        # Regenerate thumbnail for video at specific timestamp
        success = media_service.regenerate_thumbnail(
            media_id=video_media_id,
            timestamp=5.0  # Extract frame at 5 seconds
        )

        # glue
        self.assertIs(success, True)

        # ---- Media Statistics
        # Get comprehensive media statistics
        stats = media_service.get_media_statistics(project_id="SWA")

        print(f"Total Media: {stats['total_media']}")
        print(f"By Type: {stats['by_type']}")  # {'image': 45, 'video': 12, 'audio': 3}
        print(f"By Status: {stats['by_status']}")  # {'approved': 30, 'pending': 20, 'rejected': 10}
        print(f"Total Size: {stats['total_size']} bytes")
        print(f"Authors: {stats['authors']}")
        print(f"Versions: {stats['versions']}")

        # glue: the review acts on the new version (the original is approved already)
        media_id = new_media_id

        # ---- Review Workflow Operations
        from montu_client import ReviewMediaService

        # Initialize review service
        review_service = ReviewMediaService()

        # Get media for review
        review_media = review_service.get_media_for_review("SWA", status_filter="pending")

        # Submit for review
        success = review_service.submit_for_review(media_id, "Review Supervisor")

        # Add review annotation
        annotation_id = review_service.add_review_annotation(media_id, {
            'type': 'note',
            'content': 'Color balance needs adjustment',
            'author': 'Review Supervisor',
            'position': {'x': 100, 'y': 200}
        })

        # Approve media
        success = review_service.approve_media(
            media_id, 
            "Review Supervisor",
            "Approved with minor notes"
        )

        # glue
        self.assertEqual(review_media, [])
        self.assertIs(success, True)
        approved_ids = [m["id"] for m in review_service.get_media_for_review("SWA", status_filter="approved")]
        self.assertEqual(approved_ids, [original_media_id, new_media_id])
        [note] = self.admin.get_review_annotations(media_id)
        self.assertEqual(note["id"], annotation_id)
        self.assertEqual((note["author"], note["type"], note["content"]), ("Review Supervisor", "note", "Color balance needs adjustment"))
        self.assertEqual(note["positionPx"], {"x": 100, "y": 200})
        self.assertEqual(note["position"], {"x": 100 / 640, "y": 200 / 480})
        approved = self.admin.get_media_by_id(media_id)
        self.assertEqual((approved["approval"]["by"], approved["approval"]["comment"]), ("Review Supervisor", "Approved with minor notes"))
        actors = [(h["action"], h["actor"]) for h in self.admin.get_media_history(media_id)]
        self.assertIn(("media.status_changed", "Review Supervisor via admin (first-run admin token)"), actors)
        self.assertIn(("annotation.created", "Review Supervisor via admin (first-run admin token)"), actors)

        # ---- Delete Media
        # Delete media record and files
        success = media_service.delete_media(media_id, remove_files=True)

        # glue: archive and restore the original
        self.assertIs(success, True)
        media_id = original_media_id

        # ---- Archive Media (Soft Delete)
        # Archive media (keeps files, marks as archived)
        success = media_service.archive_media(media_id)

        # Restore archived media
        success = media_service.restore_media(media_id)

        # glue
        self.assertIs(success, True)

        # ---- Cleanup Operations
        # Clean up orphaned files and missing records
        cleanup_stats = media_service.cleanup_orphaned_files()
        print(f"Cleaned up {cleanup_stats['missing_files_cleaned']} missing files")

        # Clean up old media for project
        cleanup_stats = review_service.cleanup_old_media("SWA", days_old=30)
        print(f"Archived {cleanup_stats['records_archived']} old records")

        return {"original_media_id": original_media_id, "new_media_id": new_media_id, "video_media_id": video_media_id}

    def test_blocks_are_the_documents(self) -> None:
        """Every example of the document is in `examples` as written, bar its construction lines."""
        if not os.path.exists(SEED):
            self.skipTest(f"the document is not at {SEED} (set MONTU_SEED_DOC)")
        with open(SEED, encoding="utf-8") as f:
            blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
        with open(__file__, encoding="utf-8") as f:
            source = f.read()
        construction = re.compile(r"^(from montu\.|import |db = |storage(_backend)? = |media_service = MediaService\(|review_service = ReviewMediaService\(|# Initialize)")
        checked = 0
        for block in blocks:
            if block.lstrip().startswith("class "):
                continue  # the document's implementation excerpts, not examples
            lines = block.rstrip("\n").split("\n")
            last = max((i for i, line in enumerate(lines) if construction.match(line)), default=-1)
            example = "\n".join(lines[last + 1 :]).strip("\n")
            if not example:
                continue
            self.assertIn(textwrap.indent(example, " " * 8, lambda line: bool(line.strip())), source, f"not verbatim:\n{example}")
            checked += 1
        self.assertGreaterEqual(checked, 14)


if __name__ == "__main__":
    unittest.main()
