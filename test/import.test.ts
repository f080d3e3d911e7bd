// `npm run import` on each store: a folder the test builds (good photos in
// subfolders, a duplicate, broken files, a file too large, sidecar captions),
// then a re-run that adds nothing; and the command itself, including the
// embedded store held by a running server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../src/http/server.js';
import { findImageFiles } from '../src/import/files.js';
import { importExitCode, runImport } from '../src/import/importJob.js';
import { storeSink } from '../src/import/sinks.js';
import { listPascalImages } from '../src/dataset/pascal.js';
import { sha256 } from '../src/lib/hash.js';
import { createTestApp, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { realAssetsDir } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';

const pascal = (category: string, n: number) =>
  listPascalImages(realAssetsDir())
    .filter((image) => image.category === category)
    .slice(0, n);

interface Folder {
  dir: string;
  /** Distinct readable photos in it. */
  good: string[];
  /** Path (relative) → captions from its sidecar. */
  captioned: Map<string, string[]>;
}

/** good/ and more/nested/ photos, a copy of one, a truncated JPEG, text named .png, an 11 MB file, sidecars and a note. */
function buildFolder(): Folder {
  const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-import-'));
  const [cat1, cat2] = pascal('cat', 2);
  const [dog1] = pascal('dog', 1);
  mkdirSync(path.join(dir, 'good'));
  mkdirSync(path.join(dir, 'more', 'nested'), { recursive: true });
  copyFileSync(cat1!.file, path.join(dir, 'good', 'cat1.jpg'));
  copyFileSync(cat2!.file, path.join(dir, 'more', 'nested', 'cat2.JPEG'));
  copyFileSync(dog1!.file, path.join(dir, 'more', 'dog.jpg'));
  // Sidecars: photo.jpg.txt and photo.txt.
  writeFileSync(path.join(dir, 'good', 'cat1.jpg.txt'), 'A cat on a chair.\n\n  A sleepy cat.  \n');
  writeFileSync(path.join(dir, 'more', 'dog.txt'), 'A dog in the garden.\n');
  copyFileSync(cat1!.file, path.join(dir, 'more', 'same-as-cat1.jpg'));
  writeFileSync(path.join(dir, 'broken.jpg'), readFileSync(dog1!.file).subarray(0, 3000));
  writeFileSync(path.join(dir, 'not-a-photo.png'), 'hello, I am text');
  writeFileSync(path.join(dir, 'huge.webp'), '');
  truncateSync(path.join(dir, 'huge.webp'), 11 * 1024 * 1024);
  writeFileSync(path.join(dir, 'notes.md'), 'not a photo by its name: left alone');
  return {
    dir,
    good: ['good/cat1.jpg', 'more/nested/cat2.JPEG', 'more/dog.jpg'],
    captioned: new Map([
      ['good/cat1.jpg', ['A cat on a chair.', 'A sleepy cat.']],
      ['more/dog.jpg', ['A dog in the garden.']],
    ]),
  };
}

const EXPECTED_REFUSALS = [
  { file: 'broken.jpg', reason: /^not a readable image \(.+\)$/ },
  { file: 'huge.webp', reason: /^too large: 11534336 bytes; images up to 10485760 bytes are accepted$/ },
  { file: 'not-a-photo.png', reason: /^not a readable image \(.+\)$/ },
];

/** Runs `npm run import` as a person would; resolves with its exit code and output. */
function importCommand(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/import.ts', ...args],
      { env: { PATH: process.env.PATH!, ...env }, timeout: 240_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

for (const kind of storeKinds()) {
  describe(`npm run import on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    let folder: Folder;
    const scratch: string[] = [];

    before(async () => {
      folder = buildFolder();
      t = await createTestApp(kind);
      await t.app.embedder.loadModels();
      server = await startTestServer(t.app);
    });
    after(async () => {
      await server?.close();
      await t?.close();
      for (const dir of [folder?.dir, ...scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const importFolder = async () => {
      const found = await findImageFiles([folder.dir]);
      assert.equal(found.otherFiles, 3, 'two sidecars and a note are left alone');
      const report = await runImport(found.files, storeSink(t.app.services.images), {
        category: 'mine',
        captionsFromSidecar: true,
        batchSize: 3,
        progressOut: null,
      });
      const refused = report.refused
        .map(({ file, reason }) => ({ file: path.relative(folder.dir, file), reason }))
        .sort((a, b) => a.file.localeCompare(b.file));
      assert.equal(refused.length, EXPECTED_REFUSALS.length, JSON.stringify(refused));
      EXPECTED_REFUSALS.forEach((expected, i) => {
        assert.equal(refused[i]!.file, expected.file);
        assert.match(refused[i]!.reason, expected.reason);
      });
      return report;
    };

    test('imports every readable photo once, with its sidecar captions, and lists each refused file with its reason', async () => {
      const report = await importFolder();
      assert.equal(report.files, 7);
      assert.equal(report.added, folder.good.length);
      assert.equal(report.present, 1, 'the copy of cat1 is the same photo');
      assert.equal(importExitCode(report), 0);

      const rows = await t.app.db.primary.query<{ category: string; captions: string[]; hash: string; files: number }>(
        `SELECT category, captions, content_hash AS hash, (SELECT count(*)::int FROM image_files f WHERE f.image_id = i.id) AS files
         FROM images i`,
      );
      assert.equal(rows.rows.length, folder.good.length);
      const byHash = new Map(rows.rows.map((row) => [row.hash, row]));
      for (const file of folder.good) {
        const row = byHash.get(sha256(readFileSync(path.join(folder.dir, file))));
        assert.ok(row, `${file} is stored`);
        assert.equal(row.category, 'mine');
        assert.deepEqual(row.captions, folder.captioned.get(file) ?? []);
        assert.equal(row.files, 1, 'its bytes are stored with it');
      }
      // Searchable at once, like an addImage upload.
      const stored = rows.rows[0]!;
      const id = `upload-${stored.hash.slice(0, 20)}`;
      const answer = await gql(server.url, `{ image(id: "${id}") { id similar(first: 5) { image { id } } } }`);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      assert.equal(answer.data!.image.similar.length, folder.good.length - 1);
    });

    test('a re-run adds nothing and says so', async () => {
      const before = await t.app.repositories.images.count();
      const report = await importFolder();
      assert.equal(report.added, 0);
      assert.equal(report.present, folder.good.length + 1);
      assert.equal(await t.app.repositories.images.count(), before);
      assert.equal(importExitCode(report), 0);
    });

    test('the command: a summary line, every refusal, and a non-zero exit only when nothing could be read', async () => {
      const newDir = mkdtempSync(path.join(tmpdir(), 'semsearch-import-cli-'));
      const brokenDir = mkdtempSync(path.join(tmpdir(), 'semsearch-import-broken-'));
      scratch.push(newDir, brokenDir);
      copyFileSync(pascal('dog', 2)[1]!.file, path.join(newDir, 'new-dog.jpg'));
      copyFileSync(path.join(folder.dir, 'broken.jpg'), path.join(newDir, 'broken.jpg'));
      copyFileSync(path.join(folder.dir, 'broken.jpg'), path.join(brokenDir, 'broken.jpg'));
      // The embedded store is held by this test's server: the command says so and
      // suggests --url; a PostgreSQL server takes both at once.
      const target = kind === 'pglite' ? ['--url', server.url] : [];
      if (kind === 'pglite') {
        const held = await importCommand([newDir], t.env);
        assert.equal(held.code, 1);
        assert.match(held.stderr, /held by another process \(pid \d+\), most likely a running server/);
        assert.match(held.stderr, /--url http:\/\/localhost:\d+/);
      }
      const first = await importCommand([newDir, '--category', 'cli', ...target], t.env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^refused {2}.*broken\.jpg: not a readable image \(.+\)$/m);
      assert.match(first.stdout, /^import: 1 added, 0 already present, 1 refused \(2 files in/m);
      assert.match(first.stderr, /import \[#+\] 2\/2 images 100% [\d.]+ images\/s in \d+s/, 'a progress bar with a rate');
      const again = await importCommand([newDir, ...target], t.env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^import: 0 added, 1 already present, 1 refused/m);
      assert.match(again.stdout, /^Nothing new: all 1 readable images are stored already\.$/m);
      const nothing = await importCommand([brokenDir, path.join(brokenDir, 'missing.jpg'), ...target], t.env);
      assert.equal(nothing.code, 1);
      assert.match(nothing.stdout, /missing\.jpg: no such file or folder/);
      assert.match(nothing.stdout, /^import: 0 added, 0 already present, 2 refused/m);
      const stored = await gql(server.url, '{ images(category: "cli") { totalCount } }');
      assert.equal(stored.data!.images.totalCount, 1);
    });
  });
}
