/**
 * An invite as a link that the app opens: `web+synod:` and the invite's text. The desktop app
 * registers the scheme with the system; a browser page registers it for its own address
 * (navigator.registerProtocolHandler, which takes only `web+` schemes), so one link works for both.
 */
export const INVITE_LINK_SCHEME = 'web+synod';

export function inviteLink(text: string): string {
  return `${INVITE_LINK_SCHEME}:${text.trim()}`;
}

/** The invite's text in a link (as typed, or as a browser hands it over, %-encoded); other text as it is. */
export function inviteOfLink(text: string): string {
  let link = text;
  if (/^web%2Bsynod%3A/i.test(link)) {
    try {
      link = decodeURIComponent(link);
    } catch {
      return text;
    }
  }
  return link.toLowerCase().startsWith(`${INVITE_LINK_SCHEME}:`)
    ? link.slice(INVITE_LINK_SCHEME.length + 1)
    : link;
}
