import { parentPort, workerData } from 'node:worker_threads';
import { runBatch } from './batch.ts';
import type { InjectedBug } from './scenario.ts';

const { start, n, bug } = workerData as { start: number; n: number; bug: InjectedBug | null };
parentPort?.postMessage(runBatch(start, n, bug));
