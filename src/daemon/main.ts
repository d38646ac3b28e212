import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
// The daemon has stopped its node; clients have printed their answer (watch: after Ctrl-C). Do not
// wait for idle sockets or an open event stream.
setImmediate(() => process.exit());
