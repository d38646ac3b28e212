/**
 * Exposes SynodApi to the sandboxed renderer as window.synod: one method per IPC call, and a
 * subscription to live events. A sandboxed preload is a plain script that can require only
 * 'electron', so the method list is written out here; a test checks it against src/api/ipc.ts.
 */
{
  // A sandboxed preload is not a module: require, with the types of the real module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports
  const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

  const METHODS = [
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
  ];

  type IpcResult = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

  const call =
    (method: string, groupId?: string) =>
    async (input?: unknown): Promise<unknown> => {
      const result = (await ipcRenderer.invoke(`synod:${method}`, input, groupId)) as IpcResult;
      if (result.ok) return result.value;
      throw Object.assign(new Error(result.error.message), { code: result.error.code });
    };

  /** The API in one of the laptop's groups: its calls name the group, its events are that group's. */
  const inGroup = (groupId: string): Record<string, unknown> => {
    const scoped: Record<string, unknown> = Object.fromEntries(
      METHODS.map((method) => [method, call(method, groupId)]),
    );
    scoped.subscribe = (listener: (event: unknown) => void) => {
      const handler = (_event: unknown, payload: unknown) => {
        const tagged = payload as { groupId?: unknown; event?: unknown } | null;
        if (tagged?.groupId === groupId) listener(tagged.event);
      };
      // An invite link opened with the app is for whichever group the page shows.
      const opened = (_event: unknown, payload: unknown) => {
        if ((payload as { type?: unknown } | null)?.type === 'open-invite') listener(payload);
      };
      ipcRenderer.on('synod:group-event', handler);
      ipcRenderer.on('synod:event', opened);
      return () => {
        ipcRenderer.removeListener('synod:group-event', handler);
        ipcRenderer.removeListener('synod:event', opened);
      };
    };
    scoped.inGroup = inGroup;
    return scoped;
  };

  const api: Record<string, unknown> = Object.fromEntries(METHODS.map((method) => [method, call(method)]));
  api.inGroup = inGroup;
  // An invite link opened with the app may arrive before the page subscribes: kept for its first listener.
  let listeners = 0;
  let unheardInvite: unknown = null;
  ipcRenderer.on('synod:event', (_event: unknown, payload: unknown) => {
    if (listeners === 0 && (payload as { type?: unknown } | null)?.type === 'open-invite')
      unheardInvite = payload;
  });
  api.subscribe = (listener: (event: unknown) => void) => {
    const handler = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on('synod:event', handler);
    listeners++;
    if (unheardInvite !== null) {
      const payload = unheardInvite;
      unheardInvite = null;
      queueMicrotask(() => listener(payload));
    }
    return () => {
      listeners--;
      ipcRenderer.removeListener('synod:event', handler);
    };
  };

  contextBridge.exposeInMainWorld('synod', api);
}
