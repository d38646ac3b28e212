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
