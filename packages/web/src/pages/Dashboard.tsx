/** Project statistics as small hand-drawn SVG charts (no chart library: keeps the bundle small). */
import { useEffect, useState } from 'react';
import { api, type Statistics } from '../api/index.js';
import { formatBytes } from '../lib/format.js';
import { BarChart, LineChart } from '../components/Charts.js';

const STATUS_COLORS: Record<string, string> = {
  wip: '#8e8e93',
  pending: '#ffcc00',
  approved: '#34c759',
  changes_requested: '#ff9f0a',
  rejected: '#ff453a',
  on_hold: '#bf5af2',
};

export default function Dashboard({ projectId }: { projectId: string }) {
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.statistics(projectId).then(setStats, (e: Error) => setError(e.message));
  }, [projectId]);
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!stats) return <div className="splash">Loading…</div>;
  // Every number comes from the statistics endpoint (archived items not counted).
  const byType = Object.entries(stats.byType);
  const byStatus = Object.entries(stats.byStatus);
  const perTask = stats.versionsPerTask.map((t): [string, number] => [t.taskId, t.versions]);
  const approvals = stats.approvalsByDay.map((d): [string, number] => [d.date, d.count]);
  const authors = stats.authors.map((a): [string, number] => [a.author, a.count]);
  return (
    <div className="dashboard">
      <h1>Dashboard · {projectId}</h1>
      <div className="kpis">
        <div className="card kpi">
          <span className="kpi-value">{stats.totalMedia}</span>
          <span className="muted">media items</span>
        </div>
        <div className="card kpi">
          <span className="kpi-value">{formatBytes(stats.totalSize)}</span>
          <span className="muted">storage used</span>
        </div>
        <div className="card kpi">
          <span className="kpi-value">{stats.byStatus['pending'] ?? 0}</span>
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
