import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SynodNode } from '../node/synod-node.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { ApiAccess } from './api-access.ts';
import { removeApiInfo, writeApiInfo } from './api-files.ts';
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

/** Where `npm run build` puts the renderer. */
export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

export interface RunningDaemon {
  readonly node: SynodNode;
  readonly apiUrl: string;
  /**
   * The browser-mode UI with a one-time code (in the fragment, which never reaches a server; the page
   * exchanges it for a session), or null if the UI is not built.
   */
  readonly uiUrl: string | null;
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
    ...(options.acceptorsPerQuestion === undefined
      ? {}
      : { acceptorsPerQuestion: options.acceptorsPerQuestion }),
    log,
    ownerKind: 'daemon',
  });
  const access = await ApiAccess.open(options.dataDir);
  const hasUi = existsSync(`${RENDERER_DIST}index.html`);
  const api = await startHttpApi({
    api: node,
    access,
    port: options.apiPort,
    log,
    ...(hasUi ? { staticDir: RENDERER_DIST } : {}),
  });
  await writeApiInfo(options.dataDir, { port: api.port, pid: process.pid, peerId: node.peerId });
  return {
    node,
    apiUrl: `http://127.0.0.1:${api.port}`,
    uiUrl: hasUi ? `http://127.0.0.1:${api.port}/#code=${access.linkCode()}` : null,
    async stop() {
      await api.close();
      await removeApiInfo(options.dataDir);
      await node.stop();
    },
  };
}
