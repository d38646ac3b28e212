import { DecisionNotices } from '../../src/api/decision-notices.ts';
import type { SynodEvent } from '../../src/api/types.ts';

const BASE_TITLE = 'Synod';

/**
 * Decisions told in a browser tab, as the desktop app tells them: a system notification (once the
 * user allowed them) and, while the tab is in the background, the count of new decisions in its
 * title. In Electron the main process notifies instead.
 */
export class BrowserNotices {
  readonly #notices: DecisionNotices;
  #unseen = 0;

  constructor(alreadyDecided: Iterable<string>) {
    this.#notices = new DecisionNotices(alreadyDecided);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.#setUnseen(0);
    });
  }

  static supported(): boolean {
    return typeof Notification !== 'undefined';
  }

  static permission(): NotificationPermission | 'unsupported' {
    return BrowserNotices.supported() ? Notification.permission : 'unsupported';
  }

  /** Asks the browser (it must follow a click); resolves to the answer. */
  static async ask(): Promise<NotificationPermission | 'unsupported'> {
    return BrowserNotices.supported() ? Notification.requestPermission() : 'unsupported';
  }

  handle(event: SynodEvent): void {
    const notice = this.#notices.next(event);
    if (notice === null) return;
    if (document.visibilityState !== 'visible') this.#setUnseen(this.#unseen + 1);
    if (BrowserNotices.permission() === 'granted' && document.visibilityState !== 'visible') {
      new Notification(notice.title, {
        body: notice.body,
        tag: `synod-${event.type === 'question' ? event.question.id : ''}`,
      });
    }
  }

  #setUnseen(count: number): void {
    this.#unseen = count;
    document.title =
      count === 0
        ? BASE_TITLE
        : `(${count}) ${BASE_TITLE} — ${count === 1 ? 'a new decision' : `${count} new decisions`}`;
  }
}
