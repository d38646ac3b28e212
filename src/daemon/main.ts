import { main } from './cli.ts';

// Started by a parent over an IPC channel (bin/synod.js under an older Node, or npm start): when the
// parent dies, even by kill -9, the channel closes; stop as on SIGTERM rather than live on as an orphan.
if (process.channel !== undefined) {
  process.channel.unref();
  process.once('disconnect', () => {
    if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM');
    else process.exit(1);
  });
}

// A reader that stops reading (`synod watch | head`) is no error: stop quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
// The daemon has stopped its node; clients have printed their answer (watch: after Ctrl-C). Do not
// wait for idle sockets or an open event stream.
setImmediate(() => process.exit());
