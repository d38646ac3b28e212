import { HttpSynodClient } from '../../src/api/http-client.ts';
import type { SynodApi } from '../../src/api/types.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser. */
    readonly synod?: SynodApi;
  }
}

const TOKEN_KEY = 'synod-api-token';

/**
 * The app talks to its node through SynodApi only: over IPC in Electron, over the daemon's local
 * HTTP API in a browser. In a browser the token arrives in the URL fragment (never sent to a server),
 * is kept for this tab, and is removed from the address bar.
 */
export function connect(): SynodApi | { readonly error: string } {
  if (window.synod !== undefined) return window.synod;
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    history.replaceState(null, '', location.pathname);
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  if (token === null) {
    return { error: 'Open Synod with the link that "synod daemon" printed: it carries the access token.' };
  }
  return new HttpSynodClient(location.origin, token);
}
