/**
 * The node's durable state cannot be trusted. An acceptor that acted on it could break a promise it
 * made before, so the node must not vote until a person restores or resets the state.
 */
export class CorruptStateError extends Error {
  readonly path: string;
  readonly offset: number | null;

  /** `what` names what the file holds, in words for people ("the acceptor state", "the question catalog"). */
  constructor(path: string, offset: number | null, problem: string, what = 'the acceptor state') {
    const where = offset === null ? path : `${path} at byte ${offset}`;
    super(
      `Synod's file of ${what}, ${where}, cannot be trusted: ${problem}. ` +
        'This node will not vote on it, because it could have forgotten something it acknowledged. ' +
        'Restore the data directory from a backup, or move the file away to start this node with fresh ' +
        'state (it then must not vote on questions it voted on before; see the README, "Damaged state").',
    );
    this.name = 'CorruptStateError';
    this.path = path;
    this.offset = offset;
  }
}

/**
 * A durable write or fsync failed. Nothing that depended on it was acknowledged; after it the file is
 * not used again (after a failed fsync the page cache may say anything), so the node stops voting.
 */
export class StorageWriteError extends Error {
  readonly path: string;
  readonly code: string | undefined;

  constructor(path: string, what: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    super(`${whatFailed(code, path, what)} ${advice(code, path)}`, { cause });
    this.name = 'StorageWriteError';
    this.path = path;
    this.code = code;
  }
}

function whatFailed(code: string | undefined, path: string, what: string): string {
  const failed = `writing ${what} (${path}) failed`;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `The disk is full: ${failed}, so this node has stopped voting.`;
    case 'EROFS':
      return `The disk is read-only: ${failed}, so this node has stopped voting.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied: ${failed}, so this node has stopped voting.`;
    case 'EIO':
      return `The disk reported an I/O error: ${failed}, so this node has stopped voting.`;
    default:
      return `${failed[0]?.toUpperCase()}${failed.slice(1)} (${code ?? 'unknown error'}), so this node has stopped voting.`;
  }
}

function advice(code: string | undefined, path: string): string {
  const lost = 'Nothing it acknowledged is lost: it stopped before replying.';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free some space on the disk, then restart Synod. ${lost}`;
    case 'EROFS':
      return `Make the disk writable again (it may have been remounted read-only after errors), then restart Synod. ${lost}`;
    case 'EACCES':
    case 'EPERM':
      return `Check the owner and permissions of the file and its folder (ls -l "${path}"; it must be writable by you, and not immutable), then restart Synod. ${lost}`;
    case 'EIO':
      return `The disk may be failing: copy the data directory to a healthy disk, then restart Synod there. ${lost}`;
    default:
      return `Fix the cause, then restart Synod. ${lost}`;
  }
}

/** A state file exists but cannot be opened or read (permissions, an immutable file, an I/O error). */
export class StateOpenError extends Error {
  readonly path: string;
  readonly code: string | undefined;

  constructor(path: string, what: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    super(
      `${what} (${path}) cannot be opened: ${code ?? String(cause)}. This node will not vote until it can read ` +
        `it. Check the file's owner and permissions (ls -l "${path}": it must be a file you can read and write, ` +
        'not a directory, and not immutable), or whether the disk reports errors; then restart Synod. Nothing was changed.',
      { cause },
    );
    this.name = 'StateOpenError';
    this.path = path;
    this.code = code;
  }
}
