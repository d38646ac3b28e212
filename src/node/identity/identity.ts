import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_FILE, nodeFs, writeFileDurably } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

export class IdentityError extends Error {
  override name = 'IdentityError';
}

/** This node's identity key; its peer id is the node's name in every acceptor set it belongs to. */
export async function loadIdentity(dir: string): Promise<PrivateKey | null> {
  const path = join(dir, FILES.identity);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return privateKeyFromProtobuf(bytes);
  } catch {
    // Never replace it silently: the peer id is named in acceptor sets, and a new one would be a stranger.
    throw new IdentityError(
      `${path} is damaged, so this node's identity is lost. Restore it from a backup; or, to start over as a new member, ` +
        'move the whole data directory away (this node then must be invited again).',
    );
  }
}

/**
 * Called when identity.key is missing: if this directory holds state, the node voted under the lost
 * identity, and a new one would silently give up its place in every acceptor set. Refuse.
 */
export async function refuseLostIdentity(dir: string): Promise<void> {
  for (const file of [STATE_FILE, FILES.catalog]) {
    if (await nodeFs.exists(join(dir, file))) {
      throw new IdentityError(
        `${join(dir, FILES.identity)} is missing, but this data directory holds ${file} from an earlier run: ` +
          "this node voted under that identity, and a new one would silently give up its place in every question's " +
          `acceptors. Restore identity.key from a backup of ${dir}; or, to start over as a new member, move the ` +
          'whole data directory away (this node then must be invited again).',
      );
    }
  }
}

export async function createIdentity(dir: string): Promise<PrivateKey> {
  const key = await generateKeyPair('Ed25519');
  await writeFileDurably(join(dir, FILES.identity), privateKeyToProtobuf(key), {
    what: "this node's identity key",
  });
  return key;
}
