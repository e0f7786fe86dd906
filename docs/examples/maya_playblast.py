"""Playblast the current Maya scene and publish the movie to Montu.

Inside Maya: `publish_playblast("ep01_sq010_sh020_anim", "SWA")`.
Outside Maya: `python3 maya_playblast.py movie.mov ep01_sq010_sh020_anim SWA` publishes an
existing movie the same way (the playblast step is skipped).

Needs MONTU_URL and MONTU_TOKEN, and montu_client on sys.path.
"""
from __future__ import annotations

import os
import sys
import tempfile

from montu_client import MontuClient, MontuError

try:  # only inside Maya
    import maya.cmds as cmds  # type: ignore[import-not-found]
except ImportError:
    cmds = None


def client() -> MontuClient:
    return MontuClient(os.environ.get("MONTU_URL", "http://127.0.0.1:8470"), os.environ.get("MONTU_TOKEN"))


def playblast(path: str) -> str:
    """Writes a playblast of the timeline to `path` (a .mov with H.264 where available)."""
    if cmds is None:
        raise RuntimeError("playblast needs Maya")
    start = cmds.playbackOptions(query=True, minTime=True)
    end = cmds.playbackOptions(query=True, maxTime=True)
    out = cmds.playblast(
        filename=os.path.splitext(path)[0], format="qt", compression="H.264", startTime=start, endTime=end,
        forceOverwrite=True, viewer=False, showOrnaments=False, percent=100, quality=90, widthHeight=(1920, 1080),
    )
    return out


def publish_movie(movie: str, task_id: str, project_id: str, description: str = "") -> dict:
    montu = client()
    item = montu.upload_media(movie, task_id, project_id=project_id, description=description, tags=["playblast"],
                              progress=lambda d, t: print(f"\rMontu: {100 * d // max(t, 1):3d}%", end="", flush=True))
    print(f"\npublished {task_id} {item['version']} ({item['id']})")
    item = montu.submit_for_review(item["id"], comment=description or "playblast for review")
    return item


def publish_playblast(task_id: str, project_id: str, description: str = "") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        scene = os.path.splitext(os.path.basename(cmds.file(query=True, sceneName=True) or "untitled"))[0] if cmds else "untitled"
        movie = playblast(os.path.join(tmp, f"{scene}.mov"))
        return publish_movie(movie, task_id, project_id, description)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: maya_playblast.py MOVIE TASK_ID PROJECT_ID [DESCRIPTION]")
    try:
        publish_movie(sys.argv[1], sys.argv[2], sys.argv[3], *(sys.argv[4:5]))
    except MontuError as e:
        sys.exit(f"montu: {e.code}: {e.detail}")
