"""MediaService / ReviewMediaService beyond the document's examples, against a real `montu serve`:
who may name other people, the document's status words, settings, records of every media kind,
and the failure answers."""
from __future__ import annotations

import os
import shutil
import tempfile
import unittest
from typing import Any

from montu_server import environment, ffmpeg, project, server, write_png

from montu_client import (
    ConfigurationError,
    MediaService,
    MontuClient,
    PermissionDenied,
    ReviewMediaService,
    ValidationError,
)

TASK = "ep02_sq030_sh010_comp"


def setUpModule() -> None:
    server()


class MediaServicesTest(unittest.TestCase):
    admin: MontuClient

    @classmethod
    def setUpClass(cls) -> None:
        srv = server()
        cls.srv = srv
        cls.admin = srv.client()
        cls.project = project(cls.admin, "PIPE")
        cls.tmp = tempfile.mkdtemp(prefix="montu-services-")
        cls.artist = srv.make_user("ana", cls.project, "artist")
        cls.pipeline_token = srv.make_pipeline_token("svc-publish", cls.project, "supervisor", "publish-hook")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def service(self, cls: Any = MediaService, token: str = "", **kw: Any) -> Any:
        kw.setdefault("project", self.project)
        return cls(server=self.srv.url, token=token or self.srv.token, **kw)

    def png(self, name: str, seed: int, **kw: Any) -> str:
        return write_png(os.path.join(self.tmp, name), seed=seed, **kw)

    # ------------------------------------------------------------------ names for people

    def test_a_pipeline_token_records_people_as_given_and_history_says_who_acted(self) -> None:
        media = self.service(token=self.pipeline_token)
        review = self.service(ReviewMediaService, token=self.pipeline_token)
        media_id = media.upload_media(self.png("pipe.png", 1), TASK, author="John Doe")
        self.assertEqual(media.get_media_by_id(media_id)["author"], "John Doe")
        self.assertTrue(review.submit_for_review(media_id, "Jane Roe"))
        note = review.add_review_annotation(media_id, {"content": "ok", "author": "Review Supervisor", "position": {"x": 8, "y": 4}})
        self.assertTrue(review.approve_media(media_id, "Review Supervisor", "fine"))
        history = [(h["action"], h["actor"]) for h in self.admin.get_media_history(media_id)]
        via = "via svc-publish (publish-hook)"
        self.assertEqual(history[0], ("media.created", f"John Doe {via}"))
        self.assertIn(("media.status_changed", f"Jane Roe {via}"), history)
        self.assertIn(("annotation.created", f"Review Supervisor {via}"), history)
        self.assertIn(("media.status_changed", f"Review Supervisor {via}"), history)
        self.assertEqual(self.admin.get_media_by_id(media_id)["approval"]["by"], "Review Supervisor")
        [n] = self.admin.get_review_annotations(media_id)
        self.assertEqual((n["id"], n["author"], n["positionPx"], n["position"]), (note, "Review Supervisor", {"x": 8, "y": 4}, {"x": 0.5, "y": 0.25}))
        # The token's user's role still decides what it may do: it cannot delete (project admins).
        with self.assertRaises(PermissionDenied):
            media.delete_media(media_id)

    def test_an_ordinary_token_naming_someone_else_is_refused_not_ignored(self) -> None:
        token = self.artist.token or ""
        media = self.service(token=token)
        review = self.service(ReviewMediaService, token=token)
        with self.assertRaises(PermissionDenied) as cm:
            media.upload_media(self.png("mine.png", 2), TASK, author="John Doe")
        self.assertEqual(cm.exception.status, 403)
        self.assertIn("may record someone else as author", cm.exception.detail)
        self.assertEqual(cm.exception.details.get("reason"), "act_for_others")
        # Naming oneself (or nobody) is fine, and recorded without "via".
        media_id = media.upload_media(self.png("mine2.png", 3), TASK, author="ANA")
        self.assertEqual(media.get_media_by_id(media_id)["author"], "ana")
        with self.assertRaises(PermissionDenied):
            review.submit_for_review(media_id, "Review Supervisor")
        with self.assertRaises(PermissionDenied):
            review.add_review_annotation(media_id, {"content": "x", "author": "Review Supervisor"})
        with self.assertRaises(PermissionDenied):
            media.create_media_version(media_id, self.png("mine3.png", 4), author="John Doe")
        self.assertTrue(review.submit_for_review(media_id, "ana"))
        self.assertEqual([h["actor"] for h in self.admin.get_media_history(media_id)], ["ana", "ana"])
        with self.assertRaises(PermissionDenied) as cm2:
            self.artist._post("/tokens", {"name": "sneaky", "actForOthers": True})
        self.assertEqual(cm2.exception.status, 403)

    def test_the_author_filter_ignores_case(self) -> None:
        media = self.service()
        media_id = media.upload_media(self.png("case.png", 5), "ep02_sq030_sh020_comp", author="Émile Zola")
        for name in ("émile zola", "ÉMILE ZOLA", " Émile Zola "):
            self.assertEqual([m["id"] for m in media.search_media(author=name)], [media_id], name)

    # ------------------------------------------------------------------ the document's words

    def test_the_documents_status_words_everywhere(self) -> None:
        media = self.service()
        review = self.service(ReviewMediaService)
        task = "ep02_sq030_sh030_comp"
        a = media.upload_media(self.png("w1.png", 6), task)
        b = media.upload_media(self.png("w2.png", 7), task)
        self.assertTrue(media.update_media_info(a, approval_status="pending"))
        self.assertEqual(media.get_media_by_id(a)["status"], "pending_review")

        def queue(**kw: Any) -> list:
            return [m["id"] for m in review.get_media_for_review(self.project, **kw) if m["task_id"] == task]

        self.assertEqual(queue(status_filter="pending"), [a])
        self.assertEqual(queue(), [a])
        self.assertTrue(review.reject_media(b, "admin", "not this one"))
        self.assertEqual(queue(status_filter="rejected"), [b])
        self.assertEqual([m["id"] for m in media.search_media(task_id=task, status="pending")], [a])
        by_status = media.get_media_statistics(self.project)["by_status"]
        self.assertGreaterEqual(by_status["pending"], 1)
        self.assertGreaterEqual(by_status["rejected"], 1)
        self.assertNotIn("pending_review", by_status)
        with self.assertRaises(ValidationError):
            media.update_media_info(a, approval_status="done")

    # ------------------------------------------------------------------ records

    def test_records_of_a_video_and_a_sound_in_the_documents_shape(self) -> None:
        media = self.service()
        mov = os.path.join(self.tmp, "clip.mp4")
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-c:a", "aac", "-ac", "2", mov)
        wav = os.path.join(self.tmp, "tone.wav")
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "1", "-ac", "1", wav)
        video = media.get_media_by_id(media.upload_media(mov, "ep02_sq030_sh040_anim"))
        m = video["metadata"]
        self.assertEqual((m["width"], m["height"], m["fps"], m["frame_count"], m["duration"]), (320, 240, "24/1", 48, 2.0))
        self.assertEqual((m["codec"], m["sample_rate"], m["file_size"]), ("h264", 48000, os.path.getsize(mov)))
        self.assertEqual(m["audio"]["channels"], 2)
        sound = media.get_media_by_id(media.upload_media(wav, "ep02_sq030_sh040_sfx"))
        m = sound["metadata"]
        self.assertEqual((sound["media_type"], m["codec"], m["sample_rate"], m["channels"]), ("audio", "pcm_s16le", 44100, 1))
        self.assertIsNone(m["width"])
        # The record's snake_case comes from the schema; undeclared keys stay as they were given.
        media.update_media_metadata(sound["id"], {"renderEngine": "x", "custom_properties": {"shotgunId": 5}})
        again = media.get_media_by_id(sound["id"])
        self.assertEqual((again["metadata"]["renderEngine"], again["custom_properties"]), ("x", {"shotgunId": 5}))
        self.assertEqual(again["metadata"]["custom_properties"], {"shotgunId": 5})

    def test_missing_items_read_as_none_and_false(self) -> None:
        media = self.service()
        review = self.service(ReviewMediaService)
        self.assertIsNone(media.get_media_by_id("no-such-item"))
        self.assertEqual(media.get_media_by_task("ep09_sq999_sh999_none"), [])
        self.assertEqual(media.get_media_by_task(TASK, "v099"), [])
        for call in (
            lambda: media.delete_media("no-such-item"),
            lambda: media.archive_media("no-such-item"),
            lambda: media.restore_media("no-such-item"),
            lambda: media.update_media_info("no-such-item", description="x"),
            lambda: media.update_media_metadata("no-such-item", {"a": 1}),
            lambda: media.regenerate_thumbnail("no-such-item"),
            lambda: review.approve_media("no-such-item", "admin"),
        ):
            self.assertIs(call(), False)

    def test_annotations_refuse_what_they_cannot_place(self) -> None:
        media = self.service()
        review = self.service(ReviewMediaService)
        media_id = media.upload_media(self.png("small.png", 8), "ep02_sq030_sh050_comp")  # 16×16
        with self.assertRaises(ValidationError) as cm:
            review.add_review_annotation(media_id, {"content": "off the picture", "position": {"x": 100, "y": 200}})
        self.assertIn("outside the picture", cm.exception.detail)
        with self.assertRaises(ValidationError):
            review.add_review_annotation(media_id, {"content": "x", "colour": "red"})
        with self.assertRaises(ValidationError):
            review.add_review_annotation(media_id, {"type": "note"})

    # ------------------------------------------------------------------ clean-up

    def test_cleanups_report_what_they_did(self) -> None:
        media = self.service()
        review = self.service(ReviewMediaService)
        task = "ep02_sq030_sh060_comp"
        old = media.upload_media(self.png("c1.png", 9), task)
        media.upload_media(self.png("c2.png", 10), task)
        dry = review.cleanup_old_media(self.project, days_old=0, dry_run=True)
        self.assertEqual((dry["records_archived"], [c["id"] for c in dry["candidates"]]), (0, [old]))
        done = review.cleanup_old_media(self.project, days_old=0)
        self.assertEqual(done["records_archived"], 1)
        self.assertIsNotNone(self.admin.get_media_by_id(old)["archivedAt"])
        # A stored file that vanished: its record is marked missing and counted.
        gone = self.admin.get_media_by_id(media.upload_media(self.png("c3.png", 11), "ep02_sq030_sh070_comp"))
        key = next(f["key"] for f in gone["files"] if f["role"] == "original")
        os.remove(os.path.join(self.srv.data_dir, "storage", key))
        report = media.cleanup_orphaned_files()
        self.assertEqual(report["missing_files_cleaned"], 1)
        self.assertIn(key, [f["key"] for f in report["missing_files"]])
        self.assertEqual(report["orphaned_files_removed"], 0)
        self.assertEqual(media.cleanup_orphaned_files()["missing_files_cleaned"], 0)

    # ------------------------------------------------------------------ settings

    def test_settings_come_from_the_environment_and_say_what_is_missing(self) -> None:
        with environment(MONTU_SERVER=None, MONTU_TOKEN=None, MONTU_PROJECT=None):
            with self.assertRaises(ConfigurationError) as cm:
                MediaService()
            self.assertIn("MONTU_SERVER", str(cm.exception))
            os.environ["MONTU_SERVER"] = self.srv.url or ""
            with self.assertRaises(ConfigurationError) as cm:
                ReviewMediaService()
            self.assertIn("MONTU_TOKEN", str(cm.exception))
            os.environ["MONTU_TOKEN"] = self.srv.token or ""
            media = MediaService()
            self.assertIsNone(media.project)
            # Without MONTU_PROJECT: the one project that holds the task, or a clear error.
            media_id = MediaService(project=self.project).upload_media(self.png("p1.png", 12), "ep02_sq030_sh080_comp")
            again = media.upload_media(self.png("p2.png", 13), "ep02_sq030_sh080_comp")
            self.assertEqual(media.get_media_by_id(again)["project_id"], self.project)
            self.assertNotEqual(media_id, again)
            with self.assertRaises(ConfigurationError) as cm:
                media.upload_media(self.png("p3.png", 14), "ep02_sq030_sh999_nowhere")
            self.assertIn("MONTU_PROJECT", str(cm.exception))
            os.environ["MONTU_PROJECT"] = self.project
            self.assertEqual(MediaService().project, self.project)


if __name__ == "__main__":
    unittest.main()
