import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { errorText } from '../format.ts';
import { Addresses } from './Addresses.tsx';

/** The invite as text (to copy) and as a QR code (to scan), and this node's addresses. */
export function InvitePanel({
  api,
  addresses,
  epoch,
}: {
  readonly api: SynodApi;
  readonly addresses: readonly string[];
  /** The group log's epoch (null: none): an invite is asked for again when it changes. */
  readonly epoch: number | null;
}) {
  const [invite, setInvite] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .invite()
      .then(async ({ invite: text }) => {
        if (!live) return;
        setInvite(text);
        setMessage(null);
        setQr(await QRCode.toDataURL(text, { margin: 1, width: 220 }));
      })
      .catch((e: unknown) => {
        if (!live) return;
        setInvite(null);
        setQr(null);
        setMessage(errorText(e));
      });
    return () => {
      live = false;
    };
  }, [api, addresses, epoch]);

  return (
    <section aria-labelledby="invite-heading" className="card">
      <h2 id="invite-heading">Invite others</h2>
      <label className="field">
        <span>Invite text</span>
        <textarea
          readOnly
          value={invite ?? ''}
          rows={4}
          data-testid="invite"
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      <button
        type="button"
        disabled={invite === null}
        onClick={() => {
          if (invite === null) return;
          navigator.clipboard.writeText(invite).then(
            () => setMessage('Copied.'),
            () => setMessage('Select the text and copy it.'),
          );
        }}
      >
        Copy invite
      </button>
      {message !== null && <p className="muted small">{message}</p>}
      {qr !== null && <img className="qr" src={qr} alt="QR code of the invite" width={220} height={220} />}
      <details>
        <summary>This node's addresses</summary>
        <Addresses list={addresses} />
      </details>
    </section>
  );
}
