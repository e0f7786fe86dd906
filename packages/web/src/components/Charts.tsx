/** Minimal accessible SVG charts: each has a title and a data table fallback for screen readers. */
const COLORS = ['#4f8cff', '#34c759', '#ffcc00', '#ff9f0a', '#ff453a', '#bf5af2', '#64d2ff'];

function Table({ data }: { data: Array<[string, number]> }) {
  return (
    <table className="sr-only">
      <tbody>
        {data.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BarChart({
  title,
  data,
  horizontal,
  colors,
}: {
  title: string;
  data: Array<[string, number]>;
  horizontal?: boolean;
  colors?: Record<string, string>;
}) {
  const color = (k: string, i: number) => colors?.[k] ?? COLORS[i % COLORS.length];
  const max = Math.max(1, ...data.map(([, v]) => v));
  const W = 420;
  const rowH = 22;
  const H = horizontal ? Math.max(60, data.length * rowH + 10) : 200;
  const bw = data.length ? Math.min(60, (W - 20) / data.length - 8) : 0;
  return (
    <figure className="card chart">
      <figcaption>{title}</figcaption>
      {data.length === 0 ? (
        <p className="muted">No data.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${title}: ${data.map(([k, v]) => `${k} ${v}`).join(', ')}`}
        >
          {data.map(([k, v], i) =>
            horizontal ? (
              <g key={k} transform={`translate(0 ${i * rowH + 4})`}>
                <text x={150} y={14} textAnchor="end" className="chart-label">
                  {k.length > 24 ? `${k.slice(0, 23)}…` : k}
                </text>
                <rect
                  x={156}
                  y={2}
                  height={rowH - 6}
                  width={((W - 200) * v) / max}
                  fill={color(k, i)}
                  rx={2}
                />
                <text x={160 + ((W - 200) * v) / max} y={14} className="chart-value">
                  {v}
                </text>
              </g>
            ) : (
              <g key={k} transform={`translate(${14 + i * (bw + 8)} 0)`}>
                <rect
                  x={0}
                  y={H - 30 - ((H - 50) * v) / max}
                  width={bw}
                  height={((H - 50) * v) / max}
                  fill={color(k, i)}
                  rx={2}
                />
                <text
                  x={bw / 2}
                  y={H - 34 - ((H - 50) * v) / max}
                  textAnchor="middle"
                  className="chart-value"
                >
                  {v}
                </text>
                <text x={bw / 2} y={H - 14} textAnchor="middle" className="chart-label">
                  {k.replace(/_/g, ' ').slice(0, 12)}
                </text>
              </g>
            ),
          )}
        </svg>
      )}
      <Table data={data} />
    </figure>
  );
}

export function LineChart({ title, data }: { title: string; data: Array<[string, number]> }) {
  const W = 420;
  const H = 200;
  const max = Math.max(1, ...data.map(([, v]) => v));
  // One day is drawn in the middle, not as a lone dot at the left edge.
  const x = (i: number) => (data.length === 1 ? W / 2 : 30 + (i * (W - 50)) / (data.length - 1));
  const y = (v: number) => H - 30 - ((H - 50) * v) / max;
  return (
    <figure className="card chart">
      <figcaption>{title}</figcaption>
      {data.length === 0 ? (
        <p className="muted">No approvals yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${title}: ${data.map(([k, v]) => `${k} ${v}`).join(', ')}`}
        >
          <line x1={20} y1={H - 30} x2={W - 10} y2={H - 30} stroke="#3a3f4b" />
          <polyline
            fill="none"
            stroke="#4f8cff"
            strokeWidth={2}
            points={data.map(([, v], i) => `${x(i)},${y(v)}`).join(' ')}
          />
          {data.map(([k, v], i) => (
            <g key={k}>
              <circle cx={x(i)} cy={y(v)} r={3} fill="#4f8cff" />
              {data.length < 16 && (
                <text x={x(i)} y={y(v) - 8} textAnchor="middle" className="chart-value">
                  {v}
                </text>
              )}
              {(i === 0 || i === data.length - 1 || data.length < 8) && (
                <text x={x(i)} y={H - 12} textAnchor="middle" className="chart-label">
                  {k.slice(5)}
                </text>
              )}
            </g>
          ))}
        </svg>
      )}
      <Table data={data} />
    </figure>
  );
}
