import { useEffect, useState } from 'react';
import type { QuestionView, SynodApi, TimelineEntry } from '../../../src/api/types.ts';
import { errorText, formatClock } from '../format.ts';
import { Lanes } from './Lanes.tsx';

type Ballot = NonNullable<TimelineEntry['ballot']>;
const ballotKey = (b: Ballot) => `${b.round}.${b.node}`;

/** What a cell of the picture says about one acceptor in one ballot, seen from this node. */
interface Cell {
  prepare: boolean;
  promise: boolean;
  accept: boolean;
  accepted: boolean;
  nack: Ballot | null;
}

const emptyCell = (): Cell => ({
  prepare: false,
  promise: false,
  accept: false,
  accepted: false,
  nack: null,
});

/**
 * How a question was decided, like the figures of the Paxos papers: one row per ballot, one column
 * per acceptor; each cell shows prepare → promise (or nack) and accept → accepted, as this node saw
 * them. Below, every message in order.
 */
export function Timeline(props: {
  readonly api: SynodApi;
  readonly question: QuestionView;
  readonly names: ReadonlyMap<string, string>;
  readonly self: string;
}) {
  const { api, question, names, self } = props;
  const [entries, setEntries] = useState<readonly TimelineEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Refreshed whenever the question changes (an event), not on a timer.
  useEffect(() => {
    let live = true;
    api.timeline({ questionId: question.id }).then(
      (list) => live && setEntries(list),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [api, question]);

  if (error !== null) return <p className="error">{error}</p>;
  if (entries === null) return <p className="muted small">Loading…</p>;
  if (entries.length === 0)
    return (
      <p className="muted small">
        This laptop has seen no message about it since Synod last started here (it may have learned the
        outcome from others, or taken part before a restart: the messages are not kept on disk).
      </p>
    );

  const name = (peer: string) => names.get(peer) ?? `…${peer.slice(-6)}`;
  const acceptors = question.acceptors.map((a) => a.peerId);
  const rows = new Map<string, { ballot: Ballot; cells: Map<string, Cell> }>();
  for (const e of entries) {
    if (e.ballot === null) continue;
    const row = rows.get(ballotKey(e.ballot)) ?? { ballot: e.ballot, cells: new Map<string, Cell>() };
    rows.set(ballotKey(e.ballot), row);
    // The acceptor is the receiver of prepare/accept and the sender of the replies; a message this
    // node received as an acceptor, or a reply it sent, is about its own column.
    const toAcceptor = e.kind === 'prepare' || e.kind === 'accept';
    const acceptor = toAcceptor === (e.direction === 'sent') ? e.peer : self;
    if (e.kind === 'decided' || e.kind === 'query') continue;
    const cell = row.cells.get(acceptor) ?? emptyCell();
    row.cells.set(acceptor, cell);
    if (e.kind === 'prepare') cell.prepare = true;
    if (e.kind === 'promise') cell.promise = true;
    if (e.kind === 'accept') cell.accept = true;
    if (e.kind === 'accepted') cell.accepted = true;
    if (e.kind === 'nack') cell.nack = e.promised;
  }
  const sortedRows = [...rows.values()].sort(
    (a, b) => a.ballot.round - b.ballot.round || a.ballot.node.localeCompare(b.ballot.node),
  );

  return (
    <div className="timeline">
      <div className="lanes-scroll">
        <Lanes entries={entries} acceptors={acceptors} self={self} name={name} />
      </div>
      {sortedRows.length > 0 && (
        <table>
          <caption className="small muted">Ballots this node proposed or voted in</caption>
          <thead>
            <tr>
              <th scope="col">Ballot</th>
              {acceptors.map((a) => (
                <th key={a} scope="col">
                  {name(a)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sortedRows.map(({ ballot, cells }) => (
              <tr key={ballotKey(ballot)}>
                <th scope="row">
                  {ballot.round} · {name(ballot.node)}
                </th>
                {acceptors.map((a) => {
                  const c = cells.get(a);
                  return <td key={a}>{c === undefined ? '' : describeCell(c, name)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ol className="messages small">
        {entries.map((e, i) => (
          <li key={i}>
            <time>{formatClock(e.at)}</time> {e.direction === 'sent' ? 'sent' : 'received'}{' '}
            <strong>{e.kind}</strong>
            {e.ballot !== null && (
              <>
                {' '}
                for ballot {e.ballot.round}·{name(e.ballot.node)}
              </>
            )}
            {e.option !== null && <> with “{e.option}”</>}
            {e.promised !== null && (
              <>
                {' '}
                (already promised {e.promised.round}·{name(e.promised.node)})
              </>
            )}{' '}
            {e.direction === 'sent' ? 'to' : 'from'} {name(e.peer)}
          </li>
        ))}
      </ol>
    </div>
  );
}

function describeCell(c: Cell, name: (peer: string) => string): string {
  const parts: string[] = [];
  if (c.prepare) parts.push('prepare');
  if (c.promise) parts.push('→ promise');
  if (c.accept) parts.push('accept');
  if (c.accepted) parts.push('→ accepted');
  if (c.nack !== null) parts.push(`→ rejected (promised ${c.nack.round}·${name(c.nack.node)})`);
  return parts.join(' ');
}
