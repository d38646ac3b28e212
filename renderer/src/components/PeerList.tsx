import type { NodeStatus, PeerView } from '../../../src/api/types.ts';
import { formatTime, shortId } from '../format.ts';

/** The members: this laptop's own member first, marked as you, then the others. */
export function PeerList({ peers, me }: { readonly peers: readonly PeerView[]; readonly me: NodeStatus }) {
  const online = peers.filter((p) => p.online).length + (me.storageError === null ? 1 : 0);
  return (
    <section aria-labelledby="peers-heading" className="card">
      <h2 id="peers-heading">
        Members <span className="muted">({online} online)</span>
      </h2>
      <ul className="peers">
        <li data-testid="peer-me">
          <span className={`dot ${me.storageError === null ? 'online' : 'offline'}`} aria-hidden="true" />
          <span className="name" dir="auto">
            {me.displayName ?? 'me'}
          </span>
          <span className="muted small">you, on this laptop · {shortId(me.peerId)}</span>
        </li>
        {peers.map((p) => (
          <li key={p.peerId} data-testid="peer">
            <span className={`dot ${p.online ? 'online' : 'offline'}`} aria-hidden="true" />
            <span className="name" dir="auto">
              {p.name}
            </span>
            <span className="muted small">
              {p.online ? 'online' : `last seen ${formatTime(p.lastSeen)}`} · {shortId(p.peerId)}
            </span>
          </li>
        ))}
      </ul>
      {peers.length === 0 && <p className="muted">Nobody else yet: share the invite below.</p>}
    </section>
  );
}
