"""Publish a Nuke render sequence to Montu.

Inside Nuke: select a Write node and run `publish_selected_write()` (e.g. from a menu item).
Outside Nuke: `python3 nuke_publish.py /renders/sh020/comp.####.exr ep01_sq010_sh020_comp SWA`.

Needs MONTU_URL and MONTU_TOKEN in the environment, and montu_client on sys.path
(clients/python, or `pip install clients/python`).
"""
from __future__ import annotations

import os
import sys
from typing import Optional

from montu_client import MontuClient, MontuError, UploadInterrupted

try:  # only inside Nuke
    import nuke  # type: ignore[import-not-found]
except ImportError:  # running outside the DCC
    nuke = None


def client() -> MontuClient:
    return MontuClient(os.environ.get("MONTU_URL", "http://127.0.0.1:8470"), os.environ.get("MONTU_TOKEN"))


def publish(pattern: str, task_id: str, project_id: str, description: str = "", fps: Optional[str] = None) -> dict:
    """Uploads the frames matching `pattern` (####, %04d or a folder) as one new version."""
    montu = client()

    def progress(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if nuke is not None:
            nuke.tprint(f"Montu: {pct}%")
        else:
            print(f"\rMontu: {pct:3d}% ({done}/{total} bytes)", end="", flush=True)

    try:
        item = montu.upload_media(pattern, task_id, project_id=project_id, description=description, tags=["nuke", "comp"], fps=fps, progress=progress)
    except UploadInterrupted as e:
        # Frames already stored stay; call montu.upload_sequence(..., upload_id=...) to send the rest.
        print(f"\ninterrupted; resume with upload_id={e.details.get('uploadId')}", file=sys.stderr)
        raise
    print(f"\npublished {item['fileName']} as {item['taskId']} {item['version']} ({item['id']})")
    return item


def publish_selected_write() -> dict:
    """Publishes the file pattern of the selected Write node; the task comes from the script name."""
    if nuke is None:
        raise RuntimeError("publish_selected_write runs inside Nuke")
    node = nuke.selectedNode()
    if node.Class() != "Write":
        raise RuntimeError("select a Write node")
    pattern = node["file"].evaluate() if "%" not in node["file"].value() and "#" not in node["file"].value() else node["file"].value()
    script = os.path.splitext(os.path.basename(nuke.root().name()))[0]  # ep01_sq010_sh020_comp_v003
    task_id = script.rsplit("_v", 1)[0]
    project_id = os.environ.get("MONTU_PROJECT", "SWA")
    fps = str(nuke.root()["fps"].value())
    return publish(pattern, task_id, project_id, description=nuke.root()["label"].value(), fps=fps)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: nuke_publish.py PATTERN TASK_ID PROJECT_ID [DESCRIPTION]")
    try:
        publish(sys.argv[1], sys.argv[2], sys.argv[3], *(sys.argv[4:5]))
    except MontuError as e:
        sys.exit(f"montu: {e.code}: {e.detail}")
