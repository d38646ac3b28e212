// "npm start": build, then open the desktop app where Electron can run; otherwise (no display, or
// no Electron binary and no way to download it) run the headless node, whose printed link opens the
// same app in any browser. Arguments after "--" go to the daemon, e.g. npm start -- --data-dir /tmp/a
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const browserOnly = args.includes('--browser');
const passThrough = args.filter((a) => a !== '--browser');

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);

function electronAvailable() {
  const pathFile = `${root}node_modules/electron/path.txt`;
  if (existsSync(pathFile)) return true;
  console.log('Electron is not downloaded yet; trying "npx install-electron" (needs the internet)…');
  const result = spawnSync('npx', ['--no', 'install-electron'], {
    cwd: root,
    stdio: 'inherit',
    timeout: 120_000,
  });
  return result.status === 0 && existsSync(pathFile);
}

const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (!browserOnly && hasDisplay && electronAvailable()) {
  const child = spawn(process.execPath, [`${root}node_modules/electron/cli.js`, root, ...passThrough], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    hasDisplay && !browserOnly
      ? 'Electron cannot run here: starting the headless node; open the link below in a browser.'
      : 'Starting the headless node; open the link below in a browser.',
  );
  // With an IPC channel the daemon stops when this script dies, even by kill -9 (see bin/synod.js).
  const child = spawn(process.execPath, [`${root}bin/synod.js`, 'daemon', ...passThrough], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
