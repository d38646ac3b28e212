/**
 * The desktop shell: a window, a SynodNode whose data lives in the user data directory, and IPC
 * handlers that check their sender and pass each call to the node (which validates its input).
 * All logic is in src/; this file is glue.
 */
import { app, BrowserWindow, dialog, ipcMain, Notification, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GroupNotices } from '../src/api/decision-notices.ts';
import {
  API_METHODS,
  channelOf,
  EVENT_CHANNEL,
  GROUP_EVENT_CHANNEL,
  handleIpc,
  isTrustedSender,
  UNTRUSTED_SENDER,
} from '../src/api/ipc.ts';
import { INVITE_LINK_SCHEME } from '../src/model/invite-link.ts';
import { SynodNode } from '../src/node/synod-node.ts';
import { createLogger } from '../src/util/logger.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '..', '..', 'renderer', 'dist', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).toString();
const preload = join(here, 'preload.cjs');

// Several profiles on one machine: SYNOD_DATA_DIR or --data-dir=DIR moves the user data directory.
const dataDirArg = process.argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
const dataDirOverride = dataDirArg ?? process.env.SYNOD_DATA_DIR;
if (dataDirOverride) app.setPath('userData', dataDirOverride);

const log = createLogger({ level: process.env.SYNOD_VERBOSE ? 'debug' : 'info' });
let node: SynodNode | null = null;
let window: BrowserWindow | null = null;
let stopping = false;
/** An invite link the system opened Synod with before its window could take it. */
let unopenedInvite: string | null = inviteLinkIn(process.argv);

app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another Synod runs on this profile: it owns the data directory. Bring it forward instead.
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    const link = inviteLinkIn(argv);
    if (link !== null) openInvite(link);
    if (window === null) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  // macOS hands links over as an event (other systems start a second instance with the link).
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const link = inviteLinkIn([url]);
    if (link !== null) openInvite(link);
  });
  // The node refuses to start on a data directory another Synod (a daemon) holds, or whose identity
  // was lost: say why in a dialog, since a desktop app has no terminal.
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      log.error('could not start', { error: String(error) });
      dialog.showErrorBox('Synod cannot start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}

/** An invite link (`web+synod:…`) among a process's arguments, of a bounded length; null if none. */
function inviteLinkIn(args: readonly string[]): string | null {
  return args.find((a) => a.toLowerCase().startsWith(`${INVITE_LINK_SCHEME}:`) && a.length <= 16_384) ?? null;
}

/** Offers an invite link to the page (which only fills its join form), now or once it has loaded. */
function openInvite(link: string): void {
  if (window === null || window.webContents.isLoading()) {
    unopenedInvite = link;
    return;
  }
  window.webContents.send(EVENT_CHANNEL, { type: 'open-invite', link });
}

async function start(): Promise<void> {
  // Invite links (`web+synod:…`, the scheme a browser page can register too) open this app.
  app.setAsDefaultProtocolClient(INVITE_LINK_SCHEME);
  // No permission (camera, location, notifications from the page…) except writing the clipboard.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write'),
  );
  const running = await SynodNode.start({ dataDir: app.getPath('userData'), log, ownerKind: 'desktop app' });
  node = running;
  for (const method of API_METHODS) {
    ipcMain.handle(channelOf(method), (event, input: unknown, groupId: unknown) => {
      if (event.sender !== window?.webContents || !isTrustedSender(event.senderFrame?.url, rendererUrl)) {
        log.warn('refused an IPC call from an untrusted sender', { method, url: event.senderFrame?.url });
        return UNTRUSTED_SENDER;
      }
      return handleIpc(running, method, input, groupId);
    });
  }
  // Decisions of every group the laptop is in are announced, each named by its group.
  const notices = new GroupNotices(async (groupId) => {
    const group = running.inGroup(groupId);
    const [status, questions] = await Promise.all([group.status(), group.questions()]);
    return {
      name: status.group?.name ?? '',
      decided: questions.filter((q) => q.outcome !== null).map((q) => q.id),
    };
  });
  await notices.start((await running.groups()).map((g) => g.id));
  running.subscribeGroups((groupId, event) => {
    window?.webContents.send(GROUP_EVENT_CHANNEL, { groupId, event });
    const notice = notices.next(groupId, event);
    if (notice !== null && Notification.isSupported()) new Notification(notice).show();
  });
  running.subscribe((event) => window?.webContents.send(EVENT_CHANNEL, event));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 820,
    show: false,
    title: 'Synod',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window = win;
  win.once('ready-to-show', () => win.show());
  win.webContents.once('did-finish-load', () => {
    if (unopenedInvite === null) return;
    const link = unopenedInvite;
    unopenedInvite = null;
    openInvite(link);
  });
  win.on('closed', () => {
    if (window === win) window = null;
  });
  // The app is one local page: no navigation, no new windows; web links open in the browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadFile(rendererIndex);
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Stop the node cleanly (state log flushed and closed, peers told by the connection closing) before exit.
app.on('before-quit', (event) => {
  if (node === null || stopping) return;
  event.preventDefault();
  stopping = true;
  node
    .stop()
    .catch((error: unknown) => log.error('stopping the node failed', { error: String(error) }))
    .finally(() => app.quit());
});
