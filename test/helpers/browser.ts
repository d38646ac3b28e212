import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/* Debian's Chromium for the browser end-to-end tests (playwright-core drives it; nothing is downloaded). */

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const RENDERER = new URL('../../renderer/dist/index.html', import.meta.url).pathname;

/** Why the browser tests cannot run here, or null. */
export const browserMissing = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (Debian package "chromium"; .ci/run and "npm test" install it when they run as root)`
  : !existsSync(RENDERER)
    ? 'the renderer is not built (npm test builds it first; or run "npm run build:renderer")'
    : null;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
