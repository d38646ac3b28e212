import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import type { SynodApi } from '../../../src/api/types.ts';
import { INVITE_LINK_SCHEME, inviteLink } from '../../../src/model/invite-link.ts';
import { errorText } from '../format.ts';
import { Addresses } from './Addresses.tsx';

/**
 * The invite as text and as a link (to copy), and as a QR code (to scan), and this node's addresses.
 * The link (`web+synod:…`) opens the app on a laptop that has it: the desktop app registers the
 * scheme; a browser page does when its user asks ("Open invite links here").
 */
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
  const copy = (text: string, what: string) =>
    navigator.clipboard.writeText(text).then(
      () => setMessage(`${what} copied.`),
      () => setMessage('Select the text and copy it.'),
    );

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
      <div className="inline">
        <button
          type="button"
          disabled={invite === null}
          onClick={() => invite !== null && void copy(invite, 'Invite')}
        >
          Copy invite
        </button>
        <button
          type="button"
          className="ghost"
          disabled={invite === null}
          data-testid="copy-invite-link"
          onClick={() => invite !== null && void copy(inviteLink(invite), 'Invite link')}
        >
          Copy as a link
        </button>
        {window.synod === undefined && 'registerProtocolHandler' in navigator && (
          <button
            type="button"
            className="ghost"
            onClick={() => {
              try {
                navigator.registerProtocolHandler(INVITE_LINK_SCHEME, `${location.origin}/#join=%s`);
                setMessage('If your browser asks, allow it: invite links then open this page.');
              } catch (error) {
                setMessage(`This browser does not open invite links here: ${errorText(error)}`);
              }
            }}
          >
            Open invite links here
          </button>
        )}
      </div>
      {message !== null && <p className="muted small">{message}</p>}
      {qr !== null && <img className="qr" src={qr} alt="QR code of the invite" width={220} height={220} />}
      <details>
        <summary>This node's addresses</summary>
        <Addresses list={addresses} />
      </details>
    </section>
  );
}
