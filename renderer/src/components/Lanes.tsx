import type { TimelineEntry } from '../../../src/api/types.ts';

const LANE_GAP = 140;
const LEFT = 90;
const ROW = 24;
const TOP = 34;
/** A picture of more messages than this shows the newest only (the list below has them all). */
const MAX_ARROWS = 80;

/**
 * The Paxos rounds as the papers draw them: one lane per node, an arrow per message this node sent or
 * received (prepare, promise, accept, accepted, rejections, the outcome), ballot after ballot; a
 * rejected ballot's arrows are red.
 */
export function Lanes(props: {
  readonly entries: readonly TimelineEntry[];
  readonly acceptors: readonly string[];
  readonly self: string;
  readonly name: (peer: string) => string;
}) {
  const { entries, acceptors, self, name } = props;
  // A message to itself is recorded twice (sent and received): one arrow-less mark is enough.
  const shown = entries.filter((e) => !(e.peer === self && e.direction === 'received')).slice(-MAX_ARROWS);
  const lanes = [self, ...acceptors.filter((a) => a !== self)];
  for (const e of shown) if (!lanes.includes(e.peer)) lanes.push(e.peer);
  const x = (peer: string) => LEFT + lanes.indexOf(peer) * LANE_GAP;
  const rejected = new Set(
    shown.filter((e) => e.kind === 'nack' && e.ballot !== null).map((e) => ballotKey(e.ballot)),
  );

  const rows: { y: number; entry: TimelineEntry; header: string | null }[] = [];
  let y = TOP;
  let lastBallot = '';
  for (const entry of shown) {
    const key = entry.ballot === null ? '' : ballotKey(entry.ballot);
    let header: string | null = null;
    if (key !== '' && key !== lastBallot) {
      header = `Ballot ${entry.ballot?.round ?? ''} · ${name(entry.ballot?.node ?? '')}${rejected.has(key) ? ' — rejected' : ''}`;
      y += ROW;
      lastBallot = key;
    }
    y += ROW;
    rows.push({ y, entry, header });
  }
  const width = LEFT + (lanes.length - 1) * LANE_GAP + 90;
  const height = y + ROW;

  return (
    <svg
      className="lanes"
      role="img"
      aria-label="Messages between the nodes, ballot after ballot"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="context-stroke" />
        </marker>
      </defs>
      {lanes.map((peer) => (
        <g key={peer}>
          <text x={x(peer)} y={16} textAnchor="middle" className="lane-name">
            {peer === self ? `${name(peer)} (this laptop)` : name(peer)}
          </text>
          <line x1={x(peer)} y1={TOP - 8} x2={x(peer)} y2={height - 6} className="lane" />
        </g>
      ))}
      {rows.map(({ y: rowY, entry, header }, i) => {
        const from = entry.direction === 'sent' ? self : entry.peer;
        const to = entry.direction === 'sent' ? entry.peer : self;
        const key = entry.ballot === null ? '' : ballotKey(entry.ballot);
        const tone =
          entry.kind === 'nack' || rejected.has(key) ? 'bad' : entry.kind === 'decided' ? 'good' : 'plain';
        const label =
          entry.kind === 'nack'
            ? `rejected: promised ${entry.promised?.round ?? ''}·${name(entry.promised?.node ?? '')}`
            : `${entry.kind}${entry.option === null ? '' : ` “${entry.option}”`}`;
        const x1 = x(from);
        const x2 = x(to);
        return (
          <g key={i} className={`arrow ${tone}`}>
            {header !== null && (
              <text x={4} y={rowY - ROW + 14} className="ballot-header">
                {header}
              </text>
            )}
            {x1 === x2 ? (
              <circle cx={x1} cy={rowY} r={4} />
            ) : (
              <line x1={x1} y1={rowY} x2={x2 + (x2 > x1 ? -4 : 4)} y2={rowY} markerEnd="url(#arrow)" />
            )}
            <text x={(x1 + x2) / 2} y={rowY - 5} textAnchor="middle" className="arrow-label">
              {label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function ballotKey(ballot: { readonly round: number; readonly node: string } | null): string {
  return ballot === null ? '' : `${ballot.round}.${ballot.node}`;
}
