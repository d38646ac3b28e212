import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
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
  votes: 'votes.log',
  groupLog: 'group-log.log',
  inviteKeys: 'invites.json',
  removals: 'removals.json',
  successor: 'successor.json',
  apiToken: 'api-token',
  apiInfo: 'api.json',
  apiSessions: 'api-sessions.json',
  apiPort: 'api-port',
  networkPort: 'network-port',
} as const;

/**
 * Creates the data directory readable by its owner only, and tightens one that exists with a wider
 * mode (an older Synod's, or one made by hand). A directory that is not the user's own, or is shared
 * by everyone (like /tmp itself), is refused rather than changed.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) throw new Error(`the data directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new Error(
      `the data directory ${dir} belongs to another user (uid ${info.uid}): use a directory of your own`,
    );
  }
  if ((info.mode & 0o1002) === 0o1002) {
    throw new Error(
      `the data directory ${dir} is shared by every user (like /tmp itself): use a directory of your own inside it, e.g. ${join(dir, 'synod')}`,
    );
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/**
 * Files an older Synod (or a copy by hand) left readable by others: the identity key, the API token
 * and the votes are the owner's only. Called once this process holds the directory's lock.
 */
export async function tightenFileModes(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  }
}
