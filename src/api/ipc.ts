import { SynodError, type SynodApi, type SynodErrorCode } from './types.ts';

/**
 * SynodApi over Electron IPC, kept free of Electron so that plain Node tests it: the main process
 * registers one handler per method (channel `synod:<method>`), checks the sender, and answers with an
 * IpcResult (Electron would flatten a thrown error into a bare message).
 */
export const API_METHODS = [
  'status',
  'createGroup',
  'joinGroup',
  'invite',
  'group',
  'renameGroup',
  'revokeInvite',
  'leaveGroup',
  'requestRemoval',
  'approveRemoval',
  'peers',
  'addPeer',
  'questions',
  'createQuestion',
  'propose',
  'vote',
  'bid',
  'close',
  'timeline',
  'groups',
  'continueGroup',
] as const satisfies readonly Exclude<keyof SynodApi, 'subscribe' | 'inGroup'>[];

export type ApiMethod = (typeof API_METHODS)[number];

/** The first group's events (and the app's own, such as an opened invite link). */
export const EVENT_CHANNEL = 'synod:event';
/** Every group's events, each as `{groupId, event}`: what `inGroup(id).subscribe` hears. */
export const GROUP_EVENT_CHANNEL = 'synod:group-event';

export function channelOf(method: ApiMethod): string {
  return `synod:${method}`;
}

export type IpcResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly error: { readonly code: SynodErrorCode | 'internal'; readonly message: string };
    };

/**
 * Calls `method` with the renderer's one argument, in the laptop's group `groupId` (a string) or its
 * first group (anything else); every input is validated by the node itself.
 */
export async function handleIpc(
  api: SynodApi,
  method: ApiMethod,
  input: unknown,
  groupId?: unknown,
): Promise<IpcResult> {
  try {
    const target = typeof groupId === 'string' ? api.inGroup(groupId) : api;
    const call = target[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await call.call(target, input) };
  } catch (error) {
    if (error instanceof SynodError)
      return { ok: false, error: { code: error.code, message: error.message } };
    return { ok: false, error: { code: 'internal', message: 'internal error; see the log' } };
  }
}

/** Only the app's own page (the exact file, whatever its fragment) may call the API. */
export function isTrustedSender(frameUrl: string | undefined, appUrl: string): boolean {
  if (frameUrl === undefined) return false;
  try {
    const frame = new URL(frameUrl);
    const app = new URL(appUrl);
    return frame.protocol === app.protocol && frame.host === app.host && frame.pathname === app.pathname;
  } catch {
    return false;
  }
}

export const UNTRUSTED_SENDER: IpcResult = {
  ok: false,
  error: { code: 'unauthorized', message: 'this page may not use the Synod API' },
};
