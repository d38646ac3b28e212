import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { inviteIdSchema } from '../../model/group/changes.ts';
import { writeFileDurably } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

/** One invite this member made: what its text carries besides the group's own secret. */
export interface InviteKey {
  readonly id: string;
  readonly epoch: number;
  /** The private half of the invite's key (libp2p protobuf, base64url): it admits whoever holds it. */
  readonly secret: string;
}

const schema = z
  .array(
    z.object({
      id: inviteIdSchema,
      epoch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      secret: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/),
    }),
  )
  .max(64);

/**
 * The keys of the invites this member made and that are still open, in `invites.json` (mode 0600:
 * each admits whoever holds it), so that the same invite can be shown again — after a restart too —
 * instead of a new one made each time someone opens the invite page. Written before an invite is shown.
 */
export class InviteKeys {
  readonly #path: string;
  #keys: InviteKey[];

  private constructor(path: string, keys: InviteKey[]) {
    this.#path = path;
    this.#keys = keys;
  }

  static async open(dir: string): Promise<InviteKeys> {
    const path = join(dir, FILES.inviteKeys);
    let keys: InviteKey[] = [];
    try {
      const parsed = schema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      // A damaged file costs only the invites it held: new ones are made.
      if (parsed.success) keys = parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    return new InviteKeys(path, keys);
  }

  get(id: string): InviteKey | undefined {
    return this.#keys.find((k) => k.id === id);
  }

  /** Keeps `key`, and only the keys of invites still open (`open`), on disk before it resolves. */
  async keep(key: InviteKey, open: (id: string) => boolean): Promise<void> {
    this.#keys = [...this.#keys.filter((k) => k.id !== key.id && open(k.id)), key].slice(-64);
    await writeFileDurably(this.#path, JSON.stringify(this.#keys), { what: 'the keys of your invites' });
  }
}
