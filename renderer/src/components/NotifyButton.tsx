import { useState } from 'react';
import { BrowserNotices } from '../browser-notices.ts';

/** In a browser tab: asks once for system notifications of decisions, then shows whether they are on. */
export function NotifyButton() {
  const [permission, setPermission] = useState(BrowserNotices.permission());
  if (permission === 'unsupported') return null;
  if (permission !== 'default') {
    return (
      <span className="muted small" data-testid="notifications">
        {permission === 'granted'
          ? 'Notifications: on'
          : 'Notifications: blocked (allow them in the browser’s site settings)'}
      </span>
    );
  }
  return (
    <button type="button" className="ghost" onClick={() => void BrowserNotices.ask().then(setPermission)}>
      Notify me of decisions
    </button>
  );
}
