/**
 * Started with the daemon as `node --import test/soak/bug-hook.ts out/src/daemon/main.js …` for a
 * negative control: registers the loader that puts $SYNOD_SOAK_BUG into the compiled code (bugs.ts).
 */
import { register } from 'node:module';
import { parseBug } from './bugs.ts';

const bug = parseBug(process.env.SYNOD_SOAK_BUG);
if (bug === null) throw new Error('bug-hook.ts needs SYNOD_SOAK_BUG (see test/soak/bugs.ts)');
register('./bug-loader.ts', import.meta.url, { data: { bug } });
