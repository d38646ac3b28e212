/** Pure formatting helpers for the UI. */

export function formatTime(epochMs: number | null): string {
  if (epochMs === null) return 'never';
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function shortId(peerId: string): string {
  return `…${peerId.slice(-6)}`;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Tags that tell apart members who share a name (the end of their member id, as long as needed to
 * differ), the same on every laptop; members with a name of their own get none.
 */
export function nameTags(
  members: readonly { readonly peerId: string; readonly name: string }[],
): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const m of members) {
    const key = m.name.normalize('NFKC').trim().toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), m.peerId]);
  }
  const tags = new Map<string, string>();
  for (const ids of byName.values()) {
    if (ids.length < 2) continue;
    let length = 4;
    while (length < 52 && new Set(ids.map((id) => id.slice(-length))).size < ids.length) length++;
    for (const id of ids) tags.set(id, `#${id.slice(-length)}`);
  }
  return tags;
}
