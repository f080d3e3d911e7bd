import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { DOWNLOADING_MARKER, downloadMobilenet, downloadPascal, parsePascalIndex } from '../src/assets/download.js';
import { ensureMobilenet, ensurePascal } from '../src/assets/ensure.js';
import { listPascalImages, pascalDir } from '../src/dataset/pascal.js';
import { loadConfig } from '../src/config.js';
import { loadImageModel } from '../src/embedding/imageEmbedding.js';
import { mobilenetDir } from '../src/embedding/imageModelSpec.js';
import { noiseImage, realAssetsDir } from './helpers/images.js';

// The page's real shape: a row per image, then a nested table of captions.
function pascalPage(entries: { src: string; captions: string[] }[]): string {
  const rows = entries.map(
    (e) =>
      `<tr>\n<td><img src="${e.src}"></td>\n<td><table>\n<tbody>` +
      e.captions.map((c) => `<tr><td> ${c}</td></tr>\n`).join('') +
      `</tbody></table></td>\n</tr>`,
  );
  return `<html><body><table>\n${rows.join('\n')}\n</table></body></html>`;
}

const silent = new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as NodeJS.WriteStream;

describe('asset downloads against a local HTTP server', () => {
  let server: http.Server;
  let baseUrl: string;
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  let failOnce = new Set<string>();
  const entries = [
    { src: 'cat/2008_000001.jpg', captions: ['A cat &amp; a dog.', 'Two pets.'] },
    { src: 'cat/2008_000002.jpg', captions: ['A &quot;tabby&quot; cat.'] },
    { src: 'dog/2008_000003.jpg', captions: ['A dog runs.', 'A brown dog.', 'Dog on grass.'] },
  ];
  const workDirs: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-download-'));
    workDirs.push(dir);
    return dir;
  };

  before(async () => {
    for (const [i, entry] of entries.entries()) {
      files.set(`/pascal/${entry.src}`, await noiseImage({ seed: i, width: 40 + i, height: 30 }));
    }
    files.set('/pascal/', Buffer.from(pascalPage(entries)));
    const modelDir = mobilenetDir(realAssetsDir());
    for (const name of readdirSync(modelDir)) files.set(`/model/${name}`, readFileSync(path.join(modelDir, name)));
    server = http.createServer((req, res) => {
      requests.push(req.url!);
      if (failOnce.delete(req.url!)) {
        res.writeHead(503).end();
        return;
      }
      const body = files.get(req.url!);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('parsePascalIndex reads image paths and inline captions, decoding entities', () => {
    const parsed = parsePascalIndex(pascalPage(entries));
    assert.deepEqual(
      parsed.map((e) => [e.category, e.id, e.captions.length]),
      [
        ['cat', '2008_000001', 2],
        ['cat', '2008_000002', 1],
        ['dog', '2008_000003', 3],
      ],
    );
    assert.deepEqual(parsed[0]!.captions, ['A cat & a dog.', 'Two pets.']);
    assert.deepEqual(parsed[1]!.captions, ['A "tabby" cat.']);
  });

  test('Pascal: downloads every image and caption file, retries a failed request, skips what is present', async () => {
    const assetsDir = freshDir();
    failOnce = new Set(['/pascal/dog/2008_000003.jpg']);
    const downloaded = await downloadPascal({ baseUrl: `${baseUrl}/pascal/`, assetsDir, progressOut: silent });
    assert.equal(downloaded, 3);
    assert.equal(requests.filter((url) => url === '/pascal/dog/2008_000003.jpg').length, 2, 'retried once');
    const images = listPascalImages(assetsDir);
    assert.deepEqual(
      images.map((image) => [image.category, image.id, image.captions]),
      entries.map((e) => [e.src.split('/')[0], path.basename(e.src, '.jpg'), parsePascalIndex(pascalPage([e]))[0]!.captions]),
    );
    for (const image of images) assert.deepEqual(readFileSync(image.file), files.get(`/pascal/${image.category}/${image.id}.jpg`));
    assert.ok(!existsSync(path.join(pascalDir(assetsDir), DOWNLOADING_MARKER)));

    requests.length = 0;
    assert.equal(await downloadPascal({ baseUrl: `${baseUrl}/pascal/`, assetsDir, progressOut: silent }), 0);
    assert.deepEqual(requests, ['/pascal/'], 'only the page is fetched again');
  });

  test('Pascal: a download that failed part-way is resumed by ensurePascal, not taken as complete', async () => {
    const assetsDir = freshDir();
    const config = loadConfig({ ASSETS_DIR: assetsDir, ASSETS_BASE_URL_PASCAL: `${baseUrl}/pascal/` });
    // Fails three times in a row: more than the retries.
    const saved = files.get('/pascal/dog/2008_000003.jpg')!;
    files.delete('/pascal/dog/2008_000003.jpg');
    await assert.rejects(ensurePascal(config.assets), /download failed after 3 attempts/);
    assert.ok(existsSync(path.join(pascalDir(assetsDir), DOWNLOADING_MARKER)));
    assert.equal(listPascalImages(assetsDir).length, 2);
    files.set('/pascal/dog/2008_000003.jpg', saved);
    requests.length = 0;
    await ensurePascal(config.assets);
    assert.deepEqual(
      requests.filter((url) => url.endsWith('.jpg')),
      ['/pascal/dog/2008_000003.jpg'],
      'only the missing image is fetched',
    );
    assert.equal(listPascalImages(assetsDir).length, 3);
    assert.ok(!existsSync(path.join(pascalDir(assetsDir), DOWNLOADING_MARKER)));
  });

  test('with ASSETS_DOWNLOAD=false, missing assets are an error that says what to set', async () => {
    const config = loadConfig({ ASSETS_DIR: freshDir(), ASSETS_DOWNLOAD: 'false', ASSETS_BASE_URL_PASCAL: `${baseUrl}/pascal/` });
    await assert.rejects(ensurePascal(config.assets), /ASSETS_DOWNLOAD=false: set ASSETS_DIR/);
    await assert.rejects(ensureMobilenet(config.assets), /MobileNet model is missing/);
  });

  test('MobileNet: model.json and every weight file; the downloaded model embeds like the original', async () => {
    const assetsDir = freshDir();
    const config = loadConfig({ ASSETS_DIR: assetsDir, ASSETS_BASE_URL_MOBILENET: `${baseUrl}/model/` });
    requests.length = 0;
    await ensureMobilenet(config.assets);
    const shards = JSON.parse(files.get('/model/model.json')!.toString()).weightsManifest.flatMap(
      (group: { paths: string[] }) => group.paths,
    ) as string[];
    assert.equal(requests.length, shards.length + 1);
    for (const name of ['model.json', ...shards]) {
      assert.deepEqual(readFileSync(path.join(mobilenetDir(assetsDir), name)), files.get(`/model/${name}`));
    }
    assert.equal(await downloadMobilenet({ baseUrl: `${baseUrl}/model/`, assetsDir, modelDir: mobilenetDir(assetsDir) }), 0);

    const photo = readFileSync(listPascalImages(realAssetsDir())[0]!.file);
    const downloadedModel = await loadImageModel(mobilenetDir(assetsDir));
    const originalModel = await loadImageModel(mobilenetDir(realAssetsDir()));
    assert.deepEqual(await downloadedModel.embedImage(photo), await originalModel.embedImage(photo));
  });
});
