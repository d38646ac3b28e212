export { StateLog, STATE_FILE, type OpenedStateLog, type StateLogOptions } from './state-log.ts';
export { CorruptStateError } from './errors.ts';
export { recoverLog, type RecoveredLog, type RecoveryOutcome } from './recovery.ts';
