import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SynodNode } from '../node/synod-node.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { ApiAccess } from './api-access.ts';
import { FILES } from '../node/durable/data-dir.ts';
import { rememberedPort, rememberPort } from '../node/network/remembered-port.ts';
import { removeApiInfo, writeApiInfo } from './api-files.ts';
import { startHttpApi, type HttpApiOptions, type RunningHttpApi } from './http-api.ts';

export interface DaemonOptions {
  readonly dataDir: string;
  /** Network listen addresses; default all interfaces, on the port this data directory used before. */
  readonly listen?: readonly string[];
  readonly peers: readonly string[];
  readonly mdns: boolean;
  /** The local API's port; 0 for the one this data directory used before (chosen once, then kept). */
  readonly apiPort: number;
  readonly acceptorsPerQuestion?: number;
  /**
   * Lifts the per-member question limits, for benchmarks: every member of the group must run with
   * it, or the others refuse the questions beyond their limits.
   */
  readonly unlimitedQuestions?: boolean;
  /** false: a group this node creates keeps no group log (see NodeOptions.groupLog). */
  readonly groupLog?: boolean;
  readonly verbose: boolean;
}

/** Where `npm run build` puts the renderer: in the project, above src/ (or above out/src/ once compiled). */
export const RENDERER_DIST = join(projectRoot(), 'renderer', 'dist');

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return dirname(dirname(fileURLToPath(import.meta.url)));
    dir = parent;
  }
  return dir;
}

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
    ...(options.listen === undefined ? {} : { listen: options.listen }),
    mdns: options.mdns,
    staticPeers: options.peers,
    ...(options.acceptorsPerQuestion === undefined
      ? {}
      : { acceptorsPerQuestion: options.acceptorsPerQuestion }),
    ...(options.unlimitedQuestions === true
      ? { questionLimits: { perMinute: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY } }
      : {}),
    ...(options.groupLog === undefined ? {} : { groupLog: options.groupLog }),
    log,
    ownerKind: 'daemon',
  });
  const access = await ApiAccess.open(options.dataDir);
  const hasUi = existsSync(join(RENDERER_DIST, 'index.html'));
  const api = await startApiOnStablePort(options.dataDir, options.apiPort, log, {
    api: node,
    groups: node,
    access,
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

/**
 * The API listens where it listened last time, so that the page's address, its saved session and any
 * bookmark keep working across restarts. A port given by hand is used (and remembered); a remembered
 * port that another program took meanwhile is given up for a new one, with a warning.
 */
async function startApiOnStablePort(
  dataDir: string,
  requested: number,
  log: Logger,
  options: Omit<HttpApiOptions, 'port'>,
): Promise<RunningHttpApi> {
  const remembered = requested === 0 ? await rememberedPort(dataDir, FILES.apiPort) : null;
  let api: RunningHttpApi;
  try {
    api = await startHttpApi({ ...options, port: requested === 0 ? (remembered ?? 0) : requested });
  } catch (error) {
    if (remembered === null || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    log.warn('the port this node used before is taken by another program: the app has a new address', {
      port: remembered,
    });
    api = await startHttpApi({ ...options, port: 0 });
  }
  if (api.port !== remembered) {
    try {
      await rememberPort(dataDir, FILES.apiPort, api.port, 'the API port');
    } catch (error) {
      log.warn('could not remember the API port: the next start may choose another', {
        error: String(error),
      });
    }
  }
  return api;
}
