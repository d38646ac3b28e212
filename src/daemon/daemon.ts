import { SynodNode } from '../node/synod-node.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { loadOrCreateToken, writeApiInfo } from './api-files.ts';
import { startHttpApi } from './http-api.ts';

export interface DaemonOptions {
  readonly dataDir: string;
  readonly listen: readonly string[];
  readonly peers: readonly string[];
  readonly mdns: boolean;
  readonly apiPort: number;
  readonly acceptorsPerQuestion?: number;
  readonly verbose: boolean;
}

export interface RunningDaemon {
  readonly node: SynodNode;
  readonly apiUrl: string;
  stop(): Promise<void>;
}

/** A headless Synod node with its local API: a laptop without a display, or an always-on witness. */
export async function startDaemon(
  options: DaemonOptions,
  log: Logger = createLogger({ level: options.verbose ? 'debug' : 'info' }),
): Promise<RunningDaemon> {
  const node = await SynodNode.start({
    dataDir: options.dataDir,
    listen: options.listen,
    mdns: options.mdns,
    staticPeers: options.peers,
    ...(options.acceptorsPerQuestion === undefined ? {} : { acceptorsPerQuestion: options.acceptorsPerQuestion }),
    log,
  });
  const token = await loadOrCreateToken(options.dataDir);
  const api = await startHttpApi({ api: node, token, port: options.apiPort, log });
  await writeApiInfo(options.dataDir, { port: api.port, pid: process.pid, peerId: node.peerId });
  return {
    node,
    apiUrl: `http://127.0.0.1:${api.port}`,
    async stop() {
      await api.close();
      await node.stop();
    },
  };
}
