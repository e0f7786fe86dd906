/** Project statistics as small hand-drawn SVG charts (no chart library: keeps the bundle small). */
import { useEffect, useState } from 'react';
import { api, type Media, type Statistics } from '../api/index.js';
import { formatBytes } from '../lib/format.js';
import { BarChart, LineChart } from '../components/Charts.js';

function entries(v: unknown): Array<[string, number]> {
  if (Array.isArray(v)) {
    return v.map((x: Record<string, unknown>) => [
      String(x['taskId'] ?? x['date'] ?? x['author'] ?? x['key'] ?? x['name'] ?? ''),
      Number(x['versions'] ?? x['count'] ?? x['value'] ?? 0),
    ]);
  }
  if (v && typeof v === 'object')
    return Object.entries(v as Record<string, unknown>).map(([k, n]) => [
      k,
      typeof n === 'number' ? n : Number((n as { count?: number })?.count ?? 0),
    ]);
  return [];
}

const STATUS_COLORS: Record<string, string> = {
  wip: '#8e8e93',
  pending: '#ffcc00',
  approved: '#34c759',
  changes_requested: '#ff9f0a',
  rejected: '#ff453a',
  on_hold: '#bf5af2',
};

function countBy(items: readonly Media[], key: (m: Media) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return [...m];
}

export default function Dashboard({ projectId }: { projectId: string }) {
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [recent, setRecent] = useState<{ all: Media[]; approved: Media[] }>({ all: [], approved: [] });
  useEffect(() => {
    api.statistics(projectId).then(setStats, (e: Error) => setError(e.message));
    // The statistics route has totals only; per-task versions and approvals by day are derived
    // from the newest 500 items (labelled as such) until the server reports them.
    void Promise.all([
      api.searchMedia({ projectId, limit: 500 }).then(
        (p) => p.items,
        () => [],
      ),
      api.searchMedia({ projectId, status: 'approved', limit: 500 }).then(
        (p) => p.items,
        () => [],
      ),
    ]).then(([all, approved]) => setRecent({ all, approved }));
  }, [projectId]);
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!stats) return <div className="splash">Loading…</div>;
  const s = stats as Record<string, unknown>;
  const byType = entries(s['byType'] ?? s['countsByType']);
  const byStatus = entries(s['byStatus'] ?? s['countsByStatus']);
  const perTask = (
    s['versionsPerTask'] ? entries(s['versionsPerTask']) : countBy(recent.all, (m) => m.taskId)
  )
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20);
  const approvals = s['approvalsOverTime']
    ? entries(s['approvalsOverTime'])
    : countBy(recent.approved, (m) => (m.approval?.at ?? m.updatedAt).slice(0, 10)).sort((a, b) =>
        a[0].localeCompare(b[0]),
      );
  const authors = entries(s['authors']);
  const storage = Number(
    (s['storage'] as { bytes?: number } | undefined)?.bytes ?? s['totalSize'] ?? s['storageBytes'] ?? 0,
  );
  const total = Number(s['total'] ?? s['totalMedia'] ?? byType.reduce((n, [, c]) => n + c, 0));
  return (
    <div className="dashboard">
      <h1>Dashboard · {projectId}</h1>
      <div className="kpis">
        <div className="card kpi">
          <span className="kpi-value">{total}</span>
          <span className="muted">media items</span>
        </div>
        <div className="card kpi">
          <span className="kpi-value">{formatBytes(storage)}</span>
          <span className="muted">storage used</span>
        </div>
        <div className="card kpi">
          <span className="kpi-value">{byStatus.find(([k]) => k === 'pending')?.[1] ?? 0}</span>
          <span className="muted">pending review</span>
        </div>
      </div>
      <div className="charts">
        <BarChart title="By type" data={byType} />
        <BarChart title="By status" data={byStatus} colors={STATUS_COLORS} />
        <BarChart title="Versions per task (top 20)" data={perTask} horizontal />
        <LineChart title="Approvals over time (per day)" data={approvals} />
        <BarChart title="Versions by author" data={authors} horizontal />
      </div>
    </div>
  );
}
