/** Questions archived from this view: kept in this browser (or app window) only, never on the network. */
const MAX_ARCHIVED = 5_000;

function key(peerId: string): string {
  return `synod-archived-${peerId}`;
}

export function loadArchived(peerId: string): ReadonlySet<string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key(peerId)) ?? '[]');
    return new Set(Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : []);
  } catch {
    return new Set();
  }
}

export function saveArchived(peerId: string, ids: ReadonlySet<string>): void {
  localStorage.setItem(key(peerId), JSON.stringify([...ids].slice(-MAX_ARCHIVED)));
}
