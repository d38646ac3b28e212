import { homedir } from 'node:os';
import { join } from 'node:path';

/** The product name Electron uses for app.getPath('userData'), so the daemon and the app share a directory. */
export const APP_NAME = 'Synod';

/**
 * The per-user data directory, the same one Electron's app.getPath('userData') gives the desktop app:
 * ~/.config/Synod on Linux (or $XDG_CONFIG_HOME/Synod), ~/Library/Application Support/Synod on macOS,
 * %APPDATA%\Synod on Windows. SYNOD_DATA_DIR overrides it, so several nodes run on one machine.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.SYNOD_DATA_DIR) return env.SYNOD_DATA_DIR;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

export const FILES = {
  identity: 'identity.key',
  group: 'group.json',
  members: 'members.json',
  catalog: 'questions.log',
  apiToken: 'api-token',
  apiInfo: 'api.json',
} as const;
