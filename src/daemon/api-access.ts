import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FILES } from '../node/durable/data-dir.ts';
import { writeFileDurably } from '../storage/index.ts';
import { loadOrCreateToken, writeToken } from './api-files.ts';

/** A link's code is good for one use, within this time. */
export const LINK_CODE_TTL_MS = 60 * 60_000;
/** Links handed out and not used yet; the oldest is dropped beyond this. */
const MAX_LINK_CODES = 16;
/** Browser sessions kept; the oldest is dropped beyond this. */
const MAX_SESSIONS = 32;

const sessionsSchema = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(MAX_SESSIONS);

/**
 * Who may use the local API. The command line uses the token in the data directory (api-token,
 * readable by its owner only). A browser gets a link whose code works once: the page exchanges it for
 * a session token that it keeps in localStorage (for this address only), so neither the browser's history nor the
 * terminal's scrollback holds anything that still opens the API. Sessions survive a daemon restart
 * (their hashes are in api-sessions.json) and end when the token is rotated.
 */
export class ApiAccess {
  readonly #dataDir: string;
  #token: Buffer;
  /** Hashes of the session tokens (a stolen file opens nothing). */
  #sessions: string[];
  readonly #codes = new Map<string, number>();

  private constructor(dataDir: string, token: string, sessions: string[]) {
    this.#dataDir = dataDir;
    this.#token = Buffer.from(token);
    this.#sessions = sessions;
  }

  static async open(dataDir: string): Promise<ApiAccess> {
    const token = await loadOrCreateToken(dataDir);
    let sessions: string[] = [];
    try {
      const parsed = sessionsSchema.safeParse(
        JSON.parse(await readFile(join(dataDir, FILES.apiSessions), 'utf8')),
      );
      if (parsed.success) sessions = parsed.data;
    } catch {
      // none yet
    }
    return new ApiAccess(dataDir, token, sessions);
  }

  /** Whether `given` (from an Authorization header) is the token or a live session's. */
  authorizes(given: string): boolean {
    const bytes = Buffer.from(given, 'utf8');
    // Compared as bytes: a string of the right length in characters may have another in bytes.
    if (bytes.length === this.#token.length && timingSafeEqual(bytes, this.#token)) return true;
    return this.#sessions.includes(hash(given));
  }

  /** A new one-time code for a browser link. */
  linkCode(now = Date.now()): string {
    this.#dropExpired(now);
    if (this.#codes.size >= MAX_LINK_CODES) this.#codes.delete(this.#codes.keys().next().value as string);
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, now + LINK_CODE_TTL_MS);
    return code;
  }

  /** Spends a link's code: a new session token, or null for a used, expired or unknown code. */
  async redeem(code: string, now = Date.now()): Promise<string | null> {
    this.#dropExpired(now);
    if (!this.#codes.delete(code)) return null;
    const session = randomBytes(32).toString('hex');
    const sessions = [...this.#sessions, hash(session)].slice(-MAX_SESSIONS);
    await this.#saveSessions(sessions);
    this.#sessions = sessions;
    return session;
  }

  /** A new token: the old one, every session and every link stop working. */
  async rotate(): Promise<void> {
    const token = randomBytes(32).toString('hex');
    await writeToken(this.#dataDir, token);
    await this.#saveSessions([]);
    this.#token = Buffer.from(token);
    this.#sessions = [];
    this.#codes.clear();
  }

  #dropExpired(now: number): void {
    for (const [code, expires] of this.#codes) if (expires <= now) this.#codes.delete(code);
  }

  async #saveSessions(sessions: readonly string[]): Promise<void> {
    await writeFileDurably(join(this.#dataDir, FILES.apiSessions), JSON.stringify(sessions), {
      what: 'the browser sessions',
    });
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
