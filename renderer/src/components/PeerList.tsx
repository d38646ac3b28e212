import { useState, type FormEvent } from 'react';
import type { NodeStatus, PeerView, SynodApi } from '../../../src/api/types.ts';
import { errorText, formatTime, nameTags } from '../format.ts';
import { Addresses } from './Addresses.tsx';

/**
 * The members: this laptop's own first, marked as you, then the others. Peer ids, addresses and why a
 * member does not connect are in each member's details; two members with one name get a tag each.
 * While this page cannot reach its node (`known` false), nobody is shown as online: it is not known.
 */
export function PeerList({
  api,
  peers,
  me,
  known,
}: {
  readonly api: SynodApi;
  readonly peers: readonly PeerView[];
  readonly me: NodeStatus;
  readonly known: boolean;
}) {
  const online = peers.filter((p) => p.online).length + (me.storageError === null ? 1 : 0);
  const tags = nameTags([{ peerId: me.peerId, name: me.displayName ?? 'me' }, ...peers]);
  return (
    <section aria-labelledby="peers-heading" className="card">
      <h2 id="peers-heading">
        Members <span className="muted">({known ? `${online} online` : 'not known now'})</span>
      </h2>
      <ul className="peers">
        <li data-testid="peer-me">
          <span
            className={`dot ${!known ? 'unknown' : me.storageError === null ? 'online' : 'offline'}`}
            aria-hidden="true"
          />
          <span className="name" dir="auto">
            {me.displayName ?? 'me'}
          </span>
          {tags.get(me.peerId) !== undefined && <span className="tag">{tags.get(me.peerId)}</span>}
          <span className="muted small">you, on this laptop</span>
          <details className="member-details">
            <summary>Details</summary>
            <dl>
              <dt>Member id</dt>
              <dd>
                <code>{me.peerId}</code>
              </dd>
              <dt>Addresses</dt>
              <dd>
                <Addresses list={me.addresses} />
              </dd>
            </dl>
          </details>
        </li>
        {peers.map((p) => (
          <li key={p.peerId} data-testid="peer">
            <span
              className={`dot ${!known ? 'unknown' : p.online ? 'online' : 'offline'}`}
              aria-hidden="true"
            />
            <span className="name" dir="auto">
              {p.name}
            </span>
            {tags.get(p.peerId) !== undefined && <span className="tag">{tags.get(p.peerId)}</span>}
            <span className="muted small">
              {!known
                ? 'not known now'
                : p.online
                  ? `online since ${formatTime(p.connectedSince)}`
                  : p.lastSeen === null
                    ? 'never connected'
                    : `last seen ${formatTime(p.lastSeen)}`}
            </span>
            <details className="member-details">
              <summary>Details</summary>
              <dl>
                <dt>Member id</dt>
                <dd>
                  <code>{p.peerId}</code>
                </dd>
                <dt>Known addresses</dt>
                <dd>
                  <Addresses list={p.addresses} />
                </dd>
                <dt>Last attempt to connect</dt>
                <dd data-testid="last-dial">
                  {p.lastDial === null ? (
                    'none from this laptop (it may have connected here)'
                  ) : (
                    <>
                      {formatTime(p.lastDial.at)}:{' '}
                      {p.lastDial.error === null ? 'connected' : `failed: ${p.lastDial.error}`}
                      <Addresses list={p.lastDial.addresses} />
                    </>
                  )}
                </dd>
              </dl>
            </details>
          </li>
        ))}
      </ul>
      {peers.length === 0 && <p className="muted">Nobody else yet: share the invite below.</p>}
      <AddMember api={api} />
    </section>
  );
}

/** For a network that blocks discovery: connect to a member by the address its details show. */
function AddMember({ api }: { readonly api: SynodApi }) {
  const [address, setAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ readonly ok: boolean; readonly text: string } | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    api
      .addPeer({ address: address.trim() })
      .then(
        (added) => {
          setResult({
            ok: true,
            text: `Connected to ${added.name}. This laptop will find them there again.`,
          });
          setAddress('');
        },
        (error: unknown) => setResult({ ok: false, text: errorText(error) }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <details className="add-member">
      <summary>Add a member by address</summary>
      <form onSubmit={submit}>
        <label className="field">
          <span>Address (from the other laptop's member details)</span>
          <input
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            placeholder="/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…"
            maxLength={300}
            aria-invalid={result?.ok === false}
            aria-describedby="add-member-result"
            required
          />
        </label>
        <button type="submit" disabled={busy || address.trim() === ''}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
        <p
          id="add-member-result"
          role={result?.ok === false ? 'alert' : 'status'}
          className={result?.ok === false ? 'error' : 'muted small'}
        >
          {result?.text ?? ''}
        </p>
      </form>
    </details>
  );
}
