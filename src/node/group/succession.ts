import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LIMITS } from '../../model/limits.ts';
import { typedText } from '../../model/question.ts';
import { writeFileDurably } from '../../storage/atomic-file.ts';
import { FILES } from '../durable/data-dir.ts';

/**
 * Where a group goes on once this laptop has started or joined its successor (a new group that
 * names it in its genesis: see Predecessor): kept in the old group's directory, so that after a
 * restart the old group still says where it continues, and this laptop still takes no more part in it.
 */
export const successorSchema = z.object({
  groupId: z.string().regex(/^[0-9a-f]{16}$/),
  name: typedText('the group name', LIMITS.groupNameChars),
});
export type Successor = z.infer<typeof successorSchema>;

export class SuccessorFile {
  readonly #path: string;

  constructor(dir: string) {
    this.#path = join(dir, FILES.successor);
  }

  async load(): Promise<Successor | null> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const parsed = successorSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.#path} is damaged: ${parsed.error.message}`);
    return parsed.data;
  }

  save(successor: Successor): Promise<void> {
    return writeFileDurably(this.#path, JSON.stringify(successor), { what: 'where the group continues' });
  }
}
