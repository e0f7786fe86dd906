/** Project statistics as small hand-drawn SVG charts (no chart library: keeps the bundle small). */
import { useEffect, useState } from 'react';
import { api, type Statistics } from '../api/index.js';
import { formatBytes } from '../lib/format.js';
import { BarChart, LineChart } from '../components/Charts.js';

function entries(v: unknown): Array<[string, number]> {
  if (Array.isArray(v)) {
    return v.map((x: Record<string, unknown>) => [String(x['taskId'] ?? x['date'] ?? x['key'] ?? x['name'] ?? ''), Number(x['versions'] ?? x['count'] ?? x['value'] ?? 0)]);
  }
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, n]) => [k, typeof n === 'number' ? n : Number((n as { count?: number })?.count ?? 0)]);
  return [];
}

export default function Dashboard({ projectId }: { projectId: string }) {
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.statistics(projectId).then(setStats, (e: Error) => setError(e.message));
  }, [projectId]);
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!stats) return <div className="splash">Loading…</div>;
  const s = stats as Record<string, unknown>;
  const byType = entries(s['byType'] ?? s['countsByType']);
  const byStatus = entries(s['byStatus'] ?? s['countsByStatus']);
  const perTask = entries(s['versionsPerTask']).sort((a, b) => b[1] - a[1]).slice(0, 20);
  const approvals = entries(s['approvalsOverTime'] ?? s['approvalsByDay']);
  const storage = Number((s['storage'] as { bytes?: number } | undefined)?.bytes ?? s['totalSize'] ?? s['storageBytes'] ?? 0);
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
          <span className="kpi-value">{byStatus.find(([k]) => k === 'pending_review')?.[1] ?? 0}</span>
          <span className="muted">pending review</span>
        </div>
      </div>
      <div className="charts">
        <BarChart title="By type" data={byType} />
        <BarChart title="By status" data={byStatus} />
        <BarChart title="Versions per task (top 20)" data={perTask} horizontal />
        <LineChart title="Approvals over time" data={approvals} />
      </div>
    </div>
  );
}
