import { HttpSynodClient } from '../../src/api/http-client.ts';
import type { SynodApi } from '../../src/api/types.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser. */
    readonly synod?: SynodApi;
  }
}

const SESSION_KEY = 'synod-session';

/**
 * The app talks to its node through SynodApi only: over IPC in Electron, over the daemon's local
 * HTTP API in a browser. In a browser the link carries a one-time code in its fragment (never sent to
 * a server); the page removes it from the address bar and exchanges it for a session token that it
 * keeps in the origin's localStorage, so reloads, new tabs and bookmarks of this address work (the
 * daemon keeps its port across restarts). The link in the history or in a terminal's scrollback is
 * spent, and the address itself holds no secret.
 */
export async function connect(): Promise<SynodApi | { readonly error: string }> {
  if (window.synod !== undefined) return window.synod;
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code !== null) {
    history.replaceState(null, '', location.pathname);
    try {
      localStorage.setItem(SESSION_KEY, await HttpSynodClient.redeemLink(location.origin, code));
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
  const session = localStorage.getItem(SESSION_KEY);
  if (session === null) {
    return {
      error:
        'Open Synod with the link that "synod daemon" printed, or a new one from "synod open": each link works once.',
    };
  }
  return new HttpSynodClient(location.origin, session);
}
