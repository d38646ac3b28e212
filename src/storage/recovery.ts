import type { z } from 'zod';
import { findNextFrame, readFrame, type Frame } from './frame.ts';
import { commitSchemaOf, decodeCommit, type Commit, type Keyed } from './records.ts';

export interface RecoveredLog<T extends Keyed> {
  readonly records: Map<string, T>;
  readonly lastSeq: number;
  /** Where the intact log ends: anything after it is a torn write and is cut off. */
  readonly validEnd: number;
  /** Bytes after validEnd (a write that a crash interrupted). */
  readonly tornBytes: number;
  /** Commits that survived in one copy only, their other copy being damaged. */
  readonly repairedCommits: number;
  /**
   * The last commit's frame when only one copy of it is intact (the crash cut its second copy, or the
   * second copy rotted): the log must write it again before relying on it, or one more damaged byte
   * would lose it. Null when the last commit has both copies.
   */
  readonly loneLastCopy: Buffer | null;
}

export type RecoveryOutcome<T extends Keyed> =
  | { readonly ok: true; readonly log: RecoveredLog<T> }
  | { readonly ok: false; readonly offset: number | null; readonly problem: string };

/**
 * Reads a state log. Every commit is written twice in a row and fsynced once, so:
 * - damage after the last intact frame is a write that a crash interrupted (never acknowledged): cut;
 * - a commit with one intact copy is recovered from it, wherever the damage is;
 * - a commit whose two copies are both gone, when later commits survive, is corruption of state that
 *   was acknowledged: refused.
 * A single damaged region can thus never make acknowledged state disappear silently.
 */
export function recoverLog<T extends Keyed>(buf: Buffer, schema: z.ZodType<T>): RecoveryOutcome<T> {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const frame = readFrame(buf, offset);
    if (frame !== null) {
      frames.push(frame);
      offset = frame.end;
      continue;
    }
    const next = findNextFrame(buf, offset + 1);
    if (next === null) break;
    offset = next;
  }
  const last = frames.at(-1);
  if (last === undefined) {
    return {
      ok: false,
      offset: null,
      problem: 'it holds no intact commit (it is empty, truncated or overwritten)',
    };
  }

  const commitSchema = commitSchemaOf(schema);
  const commits: { seq: number; crc: number; commit: Commit<T>; copies: number }[] = [];
  for (const frame of frames) {
    const previous = commits.at(-1);
    if (previous !== undefined && frame.seq === previous.seq) {
      if (frame.payloadCrc !== previous.crc || previous.copies >= 2) {
        return {
          ok: false,
          offset: frame.start,
          problem: `commit ${frame.seq} appears in two different versions`,
        };
      }
      previous.copies++;
      continue;
    }
    if (previous !== undefined && frame.seq !== previous.seq + 1) {
      return {
        ok: false,
        offset: frame.start,
        problem: `commits ${previous.seq + 1} to ${frame.seq - 1} are lost`,
      };
    }
    const commit = decodeCommit(frame.payload, commitSchema);
    if (typeof commit === 'string')
      return { ok: false, offset: frame.start, problem: `commit ${frame.seq}: ${commit}` };
    commits.push({ seq: frame.seq, crc: frame.payloadCrc, commit, copies: 1 });
  }

  // A log file always starts with a snapshot (written at creation or compaction), so a first intact
  // commit that is no snapshot means the beginning of the state is gone.
  if (commits[0]?.commit.snapshot !== true) {
    return { ok: false, offset: 0, problem: 'its beginning is damaged (the first snapshot is missing)' };
  }

  const records = new Map<string, T>();
  for (const { commit } of commits) {
    if (commit.snapshot) records.clear();
    for (const record of commit.records) records.set(record.id, record);
  }
  // Every commit but the last was followed by another one, so its fsync completed and a damaged copy
  // is bit rot we survived; the last commit may have only one copy because the crash cut the second.
  const repairedCommits = commits.slice(0, -1).filter((c) => c.copies < 2).length;
  const loneLastCopy = (commits.at(-1)?.copies ?? 2) < 2 ? buf.subarray(last.start, last.end) : null;
  return {
    ok: true,
    log: {
      records,
      lastSeq: last.seq,
      validEnd: last.end,
      tornBytes: buf.length - last.end,
      repairedCommits,
      loneLastCopy,
    },
  };
}
