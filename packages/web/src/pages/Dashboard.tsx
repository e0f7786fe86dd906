/** Project statistics as small hand-drawn SVG charts (no chart library: keeps the bundle small). */
import { useEffect, useState } from 'react';
import { STATUS_LABELS, parseStatus, statusWord, type ApprovalStatus } from '@montu/domain';
import { api, type Statistics } from '../api/index.js';
import { formatBytes } from '../lib/format.js';
import { BarChart, LineChart } from '../components/Charts.js';

const STATUS_COLORS: Record<ApprovalStatus, string> = {
  wip: '#8e8e93',
  pending_review: '#ffcc00',
  approved: '#34c759',
  changes_requested: '#ff9f0a',
  rejected: '#ff453a',
  on_hold: '#bf5af2',
};

/** A statistics key (the API's word, e.g. `pending`, or a status) in the words the app uses. */
function statusLabel(word: string): string {
  try {
    return STATUS_LABELS[parseStatus(word)];
  } catch {
    return word; // a status this app does not know yet: its own name
  }
}

/** The chart's colours, keyed as its bars are: by label. */
const LABEL_COLORS = Object.fromEntries(
  (Object.keys(STATUS_COLORS) as ApprovalStatus[]).map((s) => [STATUS_LABELS[s], STATUS_COLORS[s]]),
);

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
  const byStatus = Object.entries(stats.byStatus).map(([k, n]): [string, number] => [statusLabel(k), n]);
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
          <span className="kpi-value">{stats.byStatus[statusWord('pending_review')] ?? 0}</span>
          <span className="muted">pending review</span>
        </div>
      </div>
      <div className="charts">
        <BarChart title="By type" data={byType} />
        <BarChart title="By status" data={byStatus} colors={LABEL_COLORS} horizontal />
        <BarChart title="Versions per task (top 20)" data={perTask} horizontal />
        <LineChart title="Approvals over time (per day)" data={approvals} />
        <BarChart title="Versions by author" data={authors} horizontal />
      </div>
    </div>
  );
}
