import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
// The daemon has stopped its node; clients have printed their answer. Do not wait for idle sockets.
if (process.argv[2] !== 'watch') setImmediate(() => process.exit());
