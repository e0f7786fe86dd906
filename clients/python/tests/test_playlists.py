"""Playlists from pipeline scripts: build dailies, take notes in them, export them; who may change them."""
from __future__ import annotations

import csv
import json
import os
import tempfile
import unittest

from montu_server import project, server, write_png

from montu_client import MontuClient, NotFound, PermissionDenied


def setUpModule() -> None:
    server()


class PlaylistTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.admin = server().client()
        cls.project = project(cls.admin, "PLY")
        cls.tmp = tempfile.mkdtemp(prefix="montu-playlists-")
        cls.coordinator = server().make_user("coco", cls.project, "supervisor")
        cls.artist = server().make_user("arty", cls.project, "artist")

    def upload(self, client: MontuClient, task: str, seed: int) -> dict:
        return client.upload_media(write_png(os.path.join(self.tmp, f"{task}_{seed}.png"), seed=seed), task, project_id=self.project)

    def test_dailies_from_a_script(self) -> None:
        a = self.upload(self.artist, "ep01_sq010_sh010_comp", 1)
        b = self.upload(self.artist, "ep01_sq010_sh020_comp", 2)
        c = self.upload(self.artist, "ep01_sq010_sh030_comp", 3)

        dailies = self.coordinator.create_playlist(self.project, "Dailies", date="2026-11-24", media_ids=[a["id"], b["id"]])
        self.assertEqual([dailies["name"], dailies["date"], dailies["owner"]], ["Dailies", "2026-11-24", "coco"])
        # An artist puts their own work forward; the coordinator curates.
        added = self.artist.add_to_playlist(dailies["id"], [c["id"]], position=0)
        self.assertEqual([i["mediaId"] for i in added["items"]], [c["id"], a["id"], b["id"]])
        with self.assertRaises(PermissionDenied):
            self.artist.reorder_playlist(dailies["id"], [a["id"], b["id"], c["id"]])
        with self.assertRaises(PermissionDenied):
            self.artist.remove_from_playlist(dailies["id"], a["id"])
        with self.assertRaises(PermissionDenied):
            self.artist.update_playlist(dailies["id"], name="Mine")
        with self.assertRaises(PermissionDenied):
            self.artist.delete_playlist(dailies["id"])
        reordered = self.coordinator.reorder_playlist(dailies["id"], [a["id"], b["id"], c["id"]])
        self.assertEqual([i["mediaId"] for i in reordered["items"]], [a["id"], b["id"], c["id"]])
        removed = self.coordinator.remove_from_playlist(dailies["id"], b["id"])
        self.assertEqual([i["mediaId"] for i in removed["items"]], [a["id"], c["id"]])
        renamed = self.coordinator.update_playlist(dailies["id"], name="Dailies Tue", clear_date=True)
        self.assertEqual([renamed["name"], renamed["date"]], ["Dailies Tue", None])

        listed = {p["id"]: p for p in self.artist.list_playlists(self.project)}
        self.assertEqual(listed[dailies["id"]]["itemCount"], 2)
        self.assertEqual(self.artist.get_playlist(dailies["id"])["name"], "Dailies Tue")

        note = self.coordinator.add_playlist_note(dailies["id"], a["id"], "edge flickers", frame=1)
        self.assertEqual([note["playlistId"], note["frame"]], [dailies["id"], 1])
        self.assertIn(note["id"], [n["id"] for n in self.artist.get_review_annotations(a["id"])])

        # Exports land whole under the given name, or under the server's name in a folder.
        path = self.coordinator.export_playlist(dailies["id"], os.path.join(self.tmp, "notes.csv"))
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        mine = [r for r in rows if r["text"] == "edge flickers"]
        self.assertEqual([(r["media_id"], r["frame"], r["author"]) for r in mine], [(a["id"], "1", "coco")])
        otio_dir = os.path.join(self.tmp, "otio") + os.sep
        otio = self.coordinator.export_playlist(dailies["id"], otio_dir, "otio", only_playlist_notes=True)
        self.assertTrue(otio.startswith(otio_dir) and otio.endswith(".otio"), otio)
        with open(otio, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["OTIO_SCHEMA"].split(".")[0], "Timeline")
        with self.assertRaises(ValueError):
            self.coordinator.export_playlist(dailies["id"], self.tmp, "mov")

        self.coordinator.delete_playlist(dailies["id"])
        with self.assertRaises(NotFound):
            self.artist.get_playlist(dailies["id"])
        # The media items stay.
        self.assertEqual(self.artist.get_media_by_id(a["id"])["id"], a["id"])


class LosesFirstDeleteAnswer(MontuClient):
    """Sends each request for real; the first DELETE's answer is lost on the way back."""

    drops = 0

    def _open(self, method, path, **kw):  # type: ignore[no-untyped-def]
        conn, resp = super()._open(method, path, **kw)
        if method == "DELETE" and self.drops == 0:
            self.drops += 1
            resp.read()
            conn.close()
            raise ConnectionResetError("connection reset by peer")
        return conn, resp


class RetriedDeleteTest(unittest.TestCase):
    def test_a_404_on_a_retried_delete_is_done(self) -> None:
        admin = server().client()
        pid = project(admin, "PLY")
        made = admin.create_playlist(pid, "Lost answer")
        flaky = LosesFirstDeleteAnswer(server().url, server().token, backoff=0.01)
        flaky.delete_playlist(made["id"])
        self.assertEqual(flaky.drops, 1)
        with self.assertRaises(NotFound):
            admin.get_playlist(made["id"])
        # Without a retry, a 404 is still an error.
        with self.assertRaises(NotFound):
            admin.delete_playlist(made["id"])

if __name__ == "__main__":
    unittest.main()
