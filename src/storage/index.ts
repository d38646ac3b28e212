export {
  StateLog,
  STATE_FILE,
  paxosStateOptions,
  type OpenedStateLog,
  type StateLogOptions,
} from './state-log.ts';
export { durableDecisionSchema, type Keyed } from './records.ts';
export { writeFileDurably } from './atomic-file.ts';
export { CorruptStateError, StateOpenError, StorageWriteError } from './errors.ts';
export { nodeFs, writeAll, type DurableFile, type StorageFs } from './fs.ts';
export { recoverLog, type RecoveredLog, type RecoveryOutcome } from './recovery.ts';
