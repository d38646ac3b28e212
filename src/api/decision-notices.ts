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
