"""Review calls, roles and error mapping."""
from __future__ import annotations

import os
import tempfile
import unittest

from montu_server import project, server, write_png

from montu_client import AuthError, MontuClient, MontuError, NotFound, PermissionDenied, TransportError, ValidationError


def setUpModule() -> None:
    server()


class ReviewTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.admin = server().client()
        cls.project = project(cls.admin, "REV")
        cls.tmp = tempfile.mkdtemp(prefix="montu-review-")
        cls.artist = server().make_user("artie", cls.project, "artist")
        cls.sup = server().make_user("supe", cls.project, "supervisor")

    def upload(self, client: MontuClient, task: str, seed: int) -> dict:
        return client.upload_media(write_png(os.path.join(self.tmp, f"{task}_{seed}.png"), seed=seed), task, project_id=self.project)

    def test_review_flow(self) -> None:
        item = self.upload(self.artist, "ep01_sq010_sh010_anim", 1)
        self.assertEqual(item["author"], "artie")
        submitted = self.artist.submit_for_review(item["id"], comment="ready")
        self.assertEqual(submitted["status"], "pending_review")
        queue = self.sup.get_media_for_review(self.project)
        self.assertIn(item["id"], [m["id"] for m in queue])
        note = self.sup.add_review_annotation(item["id"], "arm pops on this frame", frame=1, position={"x": 0.4, "y": 0.5})
        self.assertEqual(note["content"], "arm pops on this frame")
        self.assertEqual(note["frame"], 1)
        reply = self.artist.add_review_annotation(item["id"], "fixed in next version", parent_id=note["id"])
        self.assertEqual(reply["parentId"], note["id"])
        self.assertEqual(len(self.artist.get_review_annotations(item["id"])), 2)
        # Artists cannot approve their own work.
        with self.assertRaises(PermissionDenied) as cm:
            self.artist.approve_media(item["id"])
        self.assertEqual(cm.exception.code, "forbidden")
        self.assertEqual(cm.exception.status, 403)
        rejected = self.sup.reject_media(item["id"], comment="see note")
        self.assertEqual(rejected["status"], "rejected")

        v2 = self.artist.create_media_version(item["id"], write_png(os.path.join(self.tmp, "v2.png"), seed=2))
        self.assertEqual(v2["version"], "v002")
        self.artist.submit_for_review(v2["id"])
        approved = self.sup.approve_media(v2["id"], comment="final")
        self.assertEqual(approved["status"], "approved")
        self.assertIn(v2["id"], [m["id"] for m in self.sup.get_media_for_review(self.project, status="approved")])
        approved_ids = [m["id"] for m in self.admin.search_media(task_id="ep01_sq010_sh010_anim", status="approved")]
        self.assertEqual(approved_ids, [v2["id"]])
        via_info = self.sup.update_media_info(item["id"], status="approved", comment="changed my mind")
        self.assertEqual(via_info["status"], "approved")

    def test_permissions(self) -> None:
        item = self.upload(self.artist, "ep01_sq010_sh020_anim", 3)
        with self.assertRaises(PermissionDenied):
            self.artist.delete_media(item["id"])
        with self.assertRaises(PermissionDenied):
            self.artist.archive_media(item["id"])
        with self.assertRaises(PermissionDenied):
            self.artist.cleanup_orphaned_files()
        # Another project's media is invisible (404, not 403).
        other = project(self.admin, "HIDDEN")
        hidden = self.admin.upload_media(write_png(os.path.join(self.tmp, "hidden.png"), seed=4), "ep01_sq010_sh010_anim", project_id=other)
        with self.assertRaises(NotFound):
            self.artist.get_media_by_id(hidden["id"])
        self.assertNotIn(hidden["id"], [m["id"] for m in self.artist.search_media()])

    def test_auth_and_transport_errors(self) -> None:
        bad = MontuClient(server().url or "", "montu_wrong", retries=0)
        with self.assertRaises(AuthError) as cm:
            bad.list_projects()
        self.assertEqual(cm.exception.code, "unauthorized")
        self.assertEqual(cm.exception.status, 401)
        self.assertTrue(cm.exception.detail)
        with self.assertRaises(ValidationError) as cm2:
            list(self.admin.search_media(media_type="hologram"))
        self.assertEqual(cm2.exception.code, "validation_error")
        self.assertIsInstance(cm2.exception, MontuError)
        # Nothing listens there: a transport error after the retries.
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        dead = MontuClient(f"http://127.0.0.1:{port}", "t", retries=2, backoff=0.01, timeout=2)
        with self.assertRaises(TransportError) as cm3:
            dead.get_media_by_id("x")
        self.assertEqual(cm3.exception.code, "connection_error")
        self.assertFalse(dead.health())
        self.assertTrue(self.admin.health())
        self.assertEqual(self.admin.whoami()["user"]["username"], "admin")


if __name__ == "__main__":
    unittest.main()
