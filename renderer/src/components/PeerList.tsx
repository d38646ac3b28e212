import type { PeerView } from '../../../src/api/types.ts';
import { formatTime, shortId } from '../format.ts';

export function PeerList({ peers }: { readonly peers: readonly PeerView[] }) {
  const online = peers.filter((p) => p.online).length;
  return (
    <section aria-labelledby="peers-heading" className="card">
      <h2 id="peers-heading">
        Members <span className="muted">({online} online)</span>
      </h2>
      {peers.length === 0 ? (
        <p className="muted">Nobody else yet: share the invite below.</p>
      ) : (
        <ul className="peers">
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
      )}
    </section>
  );
}
