import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const BIN = new URL('../../bin/synod.js', import.meta.url).pathname;

describe('bin/synod.js runs the compiled daemon only when it is up to date', () => {
  // A copy of the layout: bin/, the sources, and what the build leaves in out/, each saying who it is.
  const root = mkdtempSync(join(tmpdir(), 'synod-entry-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'src', 'daemon'), { recursive: true });
  mkdirSync(join(root, 'out', 'src', 'daemon'), { recursive: true });
  copyFileSync(BIN, join(root, 'bin', 'synod.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  const source = join(root, 'src', 'daemon', 'main.ts');
  const compiled = join(root, 'out', 'src', 'daemon', 'main.js');
  writeFileSync(source, "console.log('sources');\n");
  writeFileSync(compiled, "console.log('compiled');\n");
  const run = () =>
    spawnSync(process.execPath, [join(root, 'bin', 'synod.js')], { encoding: 'utf8' }).stdout.trim();
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('the build is newer than every source: the compiled JavaScript', () => {
    at(source, 1_000);
    at(compiled, 2_000);
    assert.equal(run(), 'compiled');
  });

  it('a source changed after the build: the sources', () => {
    at(source, 3_000);
    assert.equal(run(), 'sources');
  });

  it('no build: the sources', () => {
    rmSync(compiled);
    assert.equal(run(), 'sources');
  });
});
