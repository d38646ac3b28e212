#!/usr/bin/env node
// Synod's command line: "node bin/synod.js <command>". Synod needs Node 22.18 or later; when an
// older Node runs this file, it hands over to the Node 22 that "npm ci" installed into the project.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The JavaScript that "npm run build" compiles into out/ (what Electron runs), when it is newer than
 * every source file: it starts sooner and takes about 25 MB less memory than Node stripping the
 * types of src/ at each start. After any change to src/ the sources run, until the next build.
 */
function compiledEntry() {
  const url = new URL('../out/src/daemon/main.js', import.meta.url);
  const compiled = fileURLToPath(url);
  if (!existsSync(compiled)) return null;
  const builtAt = statSync(compiled).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = `${dir}/${entry.name}`;
      return entry.isDirectory() ? newer(path) : statSync(path).mtimeMs > builtAt;
    });
  return newer(fileURLToPath(new URL('../src', import.meta.url))) ? null : url.href;
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  const compiled = compiledEntry();
  await import(compiled === null ? '../src/daemon/main.ts' : compiled);
} else {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(
      `synod needs Node 22.18 or later (this is ${process.version}); run "npm ci" in the project first.\n`,
    );
    process.exit(1);
  }
  // An IPC channel ties the child's life to this process: when this one dies, even by kill -9, the
  // channel closes and the child stops cleanly instead of living on as an orphan holding the data.
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
