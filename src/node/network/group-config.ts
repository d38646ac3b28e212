import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LIMITS } from '../../model/limits.ts';
import { humanText } from '../../model/question.ts';
import type { GroupSecret } from '../../model/invite.ts';
import { writeFileDurably } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

/** The group this node belongs to, the user's display name, and addresses the user added by hand. */
export interface GroupConfig {
  readonly group: GroupSecret;
  readonly displayName: string;
  readonly staticPeers: readonly string[];
}

const schema = z.object({
  group: z.object({
    id: z.string().regex(/^[0-9a-f]{16}$/),
    name: humanText('the group name', LIMITS.groupNameChars),
    key: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  displayName: humanText('the display name', LIMITS.displayNameChars),
  staticPeers: z.array(z.string().max(300)).max(64),
});

export async function loadGroupConfig(dir: string): Promise<GroupConfig | null> {
  const path = join(dir, FILES.group);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(
      `${path} is damaged (not JSON). Restore it, or join the group again with an invite after moving it away.`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${path} is damaged (${parsed.error.issues[0]?.message}). Restore it, or join again.`);
  return parsed.data;
}

export async function saveGroupConfig(dir: string, config: GroupConfig): Promise<void> {
  await writeFileDurably(join(dir, FILES.group), JSON.stringify(config, null, 2), {
    what: 'the group settings',
  });
}
