import type { SynodEvent } from './types.ts';

/** Turns live events into one notification per question that becomes decided while the app runs. */
export class DecisionNotices {
  readonly #announced = new Set<string>();

  /** Questions already decided when the app starts are not news. */
  constructor(alreadyDecided: Iterable<string> = []) {
    for (const id of alreadyDecided) this.#announced.add(id);
  }

  next(event: SynodEvent): { title: string; body: string } | null {
    if (
      event.type !== 'question' ||
      event.question.outcome === null ||
      this.#announced.has(event.question.id)
    ) {
      return null;
    }
    this.#announced.add(event.question.id);
    const { title, outcome } = event.question;
    const bid = outcome.close?.winningBid ?? null;
    const what =
      bid !== null
        ? `${bid.member.name} wins with ${bid.amount}`
        : (outcome.option ?? (outcome.close === null ? '?' : 'nothing was cast'));
    const who = `${outcome.close === null ? 'proposed' : 'closed'} by ${outcome.proposedByName}`;
    return { title: `Decided: ${title}`, body: `${what} (${who})` };
  }
}

/**
 * DecisionNotices for each of the laptop's groups, for a shell that shows them all (the desktop
 * app): a group's decisions are news only from the moment its notices are set up, so a group joined
 * later does not announce every question it catches up with. Notices name their group.
 */
export class GroupNotices {
  readonly #load: (groupId: string) => Promise<{ readonly name: string; readonly decided: string[] }>;
  /** By group: its notices and name, or null while they are being set up. */
  readonly #groups = new Map<string, { readonly notices: DecisionNotices; readonly name: string } | null>();

  constructor(load: (groupId: string) => Promise<{ readonly name: string; readonly decided: string[] }>) {
    this.#load = load;
  }

  /** Sets up the groups there are now; their decisions so far are not news. */
  async start(groupIds: Iterable<string>): Promise<void> {
    await Promise.all([...groupIds].map((id) => this.#setUp(id)));
  }

  next(groupId: string, event: SynodEvent): { title: string; body: string } | null {
    const group = this.#groups.get(groupId);
    if (group === undefined) void this.#setUp(groupId);
    if (group === undefined || group === null) return null;
    const notice = group.notices.next(event);
    return notice === null ? null : { ...notice, body: `${notice.body} · ${group.name}` };
  }

  async #setUp(groupId: string): Promise<void> {
    if (this.#groups.has(groupId)) return;
    this.#groups.set(groupId, null);
    try {
      const { name, decided } = await this.#load(groupId);
      this.#groups.set(groupId, { notices: new DecisionNotices(decided), name });
    } catch {
      this.#groups.delete(groupId);
    }
  }
}
