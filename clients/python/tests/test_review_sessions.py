"""Live review sessions from a script: start on a playlist, follow, take notes, hand over, end."""
from __future__ import annotations

import os
import tempfile
import unittest

from montu_server import project, server, write_png

from montu_client import Conflict, PermissionDenied


def setUpModule() -> None:
    server()


class ReviewSessionTest(unittest.TestCase):
    def test_a_session_from_start_to_summary(self) -> None:
        admin = server().client()
        proj = project(admin, "LRS")
        tmp = tempfile.mkdtemp(prefix="montu-sessions-")
        sup = server().make_user("suzy", proj, "supervisor")
        art = server().make_user("arto", proj, "artist")
        items = [
            art.upload_media(write_png(os.path.join(tmp, f"{i}.png"), seed=i), f"ep01_sq010_sh0{i}0_comp", project_id=proj)["id"]
            for i in (1, 2)
        ]
        playlist = sup.create_playlist(proj, "Dailies", media_ids=items)

        session = sup.start_review_session(playlist_id=playlist["id"])
        self.assertEqual([session["driver"], session["items"]], ["suzy", items])
        joined = art.join_review_session(session["id"])
        moved = sup.update_review_session(session["id"], media_id=items[1], frame=7, colour={"exposure": 1})
        self.assertEqual(moved["state"]["mediaId"], items[1])
        with self.assertRaises(PermissionDenied):
            art.update_review_session(session["id"], frame=1)
        with self.assertRaises(Conflict):
            sup.update_review_session(session["id"], frame=8, expected_seq=joined["seq"] - 1)
        note = art.add_review_session_note(session["id"], "soften the edge")
        self.assertEqual([note["mediaId"], note["frame"], note["author"]], [items[1], 7, "arto"])
        missed = art.review_session_updates(session["id"], after=joined["seq"])
        self.assertEqual([e["type"] for e in missed], ["state", "note"])
        self.assertEqual(sup.hand_over_review_session(session["id"], "arto")["driver"], "arto")
        self.assertEqual(art.review_session_heartbeat(session["id"])["seq"], missed[-1]["seq"] + 1)
        summary = art.end_review_session(session["id"])
        self.assertEqual(summary["noteCount"], 1)
        self.assertEqual(summary["playlistExport"], f"/api/v1/playlists/{playlist['id']}/export.zip")
        self.assertEqual(sup.get_review_session(session["id"])["status"], "ended")


if __name__ == "__main__":
    unittest.main()
