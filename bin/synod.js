#!/usr/bin/env node
// Synod's command line: "node bin/synod.js <command>". Synod needs Node 22.18 or later; when an
// older Node runs this file, it hands over to the Node 22 that "npm ci" installed into the project.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  await import('../src/daemon/main.ts');
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
