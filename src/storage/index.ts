export {
  StateLog,
  STATE_FILE,
  paxosStateOptions,
  type OpenedStateLog,
  type StateLogOptions,
} from './state-log.ts';
export { durableDecisionSchema, type Keyed } from './records.ts';
export { writeFileDurably } from './atomic-file.ts';
export { CorruptStateError } from './errors.ts';
export { recoverLog, type RecoveredLog, type RecoveryOutcome } from './recovery.ts';
