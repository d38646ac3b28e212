/**
 * The node's durable state cannot be trusted. An acceptor that acted on it could break a promise it
 * made before, so the node must not vote until a person restores or resets the state.
 */
export class CorruptStateError extends Error {
  readonly path: string;
  readonly offset: number | null;

  constructor(path: string, offset: number | null, problem: string) {
    const where = offset === null ? path : `${path} at byte ${offset}`;
    super(
      `Synod's acceptor state in ${where} cannot be trusted: ${problem}. ` +
        'This node will not act as an acceptor on it, because it could have forgotten a promise it made. ' +
        'Restore the data directory from a backup, or move the file away to start this node with fresh ' +
        'state (it then must not vote on questions it voted on before; see the README, "Damaged state").',
    );
    this.name = 'CorruptStateError';
    this.path = path;
    this.offset = offset;
  }
}
