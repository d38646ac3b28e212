import {
  CorruptStateError,
  StateLog,
  StateOpenError,
  StorageWriteError,
  paxosStateOptions,
} from '../../storage/index.ts';
import type { DurableDecision } from '../../paxos/index.ts';
import type { Logger } from '../../util/logger.ts';
import { catalogOptions, type QuestionRecord } from '../questions/catalog.ts';
import { voteBookOptions, type VoteBookRecord } from '../votes/vote-book.ts';

export interface NodeStorage {
  readonly paxos: StateLog<DurableDecision>;
  readonly decisions: Iterable<DurableDecision>;
  readonly catalog: StateLog<QuestionRecord>;
  readonly questions: Iterable<QuestionRecord>;
  readonly votes: StateLog<VoteBookRecord>;
  readonly voteRecords: Iterable<VoteBookRecord>;
  readonly recovery: { readonly tornBytes: number; readonly repairedCommits: number };
}

/**
 * Opens the acceptor state and the question catalog. Whatever goes wrong (damaged content, a file that
 * cannot be opened or read: permissions, an immutable file, an I/O error) is returned as a message
 * that names the file and what to do: the node then runs without voting and says why, rather than
 * exit with a raw error code or start over. `create` is true only for a node that never voted.
 */
export async function openNodeStorage(
  dir: string,
  create: boolean,
): Promise<{ ok: true; storage: NodeStorage } | { ok: false; error: string }> {
  let paxos: Awaited<ReturnType<typeof StateLog.open<DurableDecision>>> | null = null;
  let catalog: Awaited<ReturnType<typeof StateLog.open<QuestionRecord>>> | null = null;
  try {
    paxos = await StateLog.open(dir, paxosStateOptions(create));
    catalog = await StateLog.open(dir, catalogOptions(true));
    const votes = await StateLog.open(dir, voteBookOptions(true));
    return {
      ok: true,
      storage: {
        paxos: paxos.log,
        decisions: paxos.records.values(),
        catalog: catalog.log,
        questions: catalog.records.values(),
        votes: votes.log,
        voteRecords: votes.records.values(),
        recovery: paxos.recovery,
      },
    };
  } catch (error) {
    await catalog?.log.close();
    await paxos?.log.close();
    return { ok: false, error: describeOpenFailure(dir, error) };
  }
}

function describeOpenFailure(dir: string, error: unknown): string {
  if (
    error instanceof CorruptStateError ||
    error instanceof StateOpenError ||
    error instanceof StorageWriteError
  )
    return error.message;
  return `the state in ${dir} cannot be opened: ${String(error)}. This node will not vote until it can; restart Synod once the cause is fixed.`;
}

/** A group's state log as opened at start: usable, or why this node refuses to vote. */
export interface OpenedStorage {
  readonly storage: NodeStorage | null;
  readonly storageError: string | null;
}

/**
 * Opens the state log in `dir`, creating it only when `create` (a directory that held a node's
 * state before must still hold it: the node has voted under its identity there).
 */
export async function openGroupStorage(dir: string, create: boolean, log: Logger): Promise<OpenedStorage> {
  const result = await openNodeStorage(dir, create);
  if (!result.ok) {
    log.error('refusing to vote', { error: result.error });
    return { storage: null, storageError: result.error };
  }
  const { recovery } = result.storage;
  if (recovery.tornBytes > 0 || recovery.repairedCommits > 0)
    log.warn('recovered the state log after a crash', { ...recovery });
  return { storage: result.storage, storageError: null };
}
