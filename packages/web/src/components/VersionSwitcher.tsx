/** v001 … vNNN of the media's task: choosing one opens it in the viewer on the same frame. */
import { useEffect, useState } from 'react';
import { useNavigate } from '@tanstack/react-router';
import { STATUS_LABELS } from '@montu/domain';
import { api, type MediaSummary } from '../api/index.js';
import { links } from '../routes.js';

export function VersionSwitcher({ media, frame }: { media: MediaSummary; frame: number | null }) {
  const [versions, setVersions] = useState<MediaSummary[]>([]);
  const navigate = useNavigate();
  useEffect(() => {
    let live = true;
    api.versions(media.taskId, media.projectId).then(
      (v) => live && setVersions(v),
      () => live && setVersions([]),
    );
    return () => {
      live = false;
    };
  }, [media.taskId, media.projectId]);
  const list = versions.some((v) => v.id === media.id) ? versions : [media, ...versions];
  return (
    <select
      aria-label="Version"
      className="version-switch"
      value={media.id}
      title="Versions of this task"
      onChange={(e) => void navigate(links.viewer(e.target.value, frame !== null ? { frame } : {}))}
    >
      {[...list]
        .sort((x, y) => x.version.localeCompare(y.version, undefined, { numeric: true }))
        .map((v) => (
          <option key={v.id} value={v.id}>
            {v.version} — {STATUS_LABELS[v.status]}
          </option>
        ))}
    </select>
  );
}
