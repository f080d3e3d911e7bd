// What a start loads before it serves: the server's modules import neither
// TensorFlow.js nor sharp (they come with the first model run or image), so a
// restart is not held up by them. (esbuild is loaded here by tsx itself.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

/** Packages loaded (CommonJS files in the require cache) after importing the server's modules in a fresh process. */
function packagesLoadedByServerModules(): string[] {
  const script = `
    await import('./src/app.ts');
    await import('./src/http/server.ts');
    await import('./src/web/webPage.ts');
    const { createRequire } = await import('node:module');
    const files = Object.keys(createRequire(import.meta.url).cache);
    const packages = files.map((file) => file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(packages)]));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('startup modules', () => {
  it('import neither TensorFlow.js nor sharp', () => {
    const loaded = packagesLoadedByServerModules();
    assert.ok(loaded.length > 0, 'the check sees the packages that are loaded');
    assert.deepEqual(
      loaded.filter((name) => /tensorflow|sharp/.test(name)),
      [],
    );
  });
});
