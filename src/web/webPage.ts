// The web page at GET /: one HTML file, its stylesheet, and the browser
// TypeScript in client/ bundled by esbuild in memory on the page's first
// request or once the server is ready (about a tenth of a second, not on a
// restart's critical path), so there is no build step to forget and no CDN.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response, type Router } from 'express';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
// The browser code as this module runs: TypeScript under tsx, compiled JavaScript in the build (`npm run build`).
const CLIENT_ENTRY = path.join(WEB_DIR, `client/main${path.extname(fileURLToPath(import.meta.url))}`);

// Only our own origin: no CDN, no inline code; blob:/data: for the upload preview.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  path: string;
  type: string;
  body: string;
}

export interface WebPage {
  html: string;
  assets: Asset[];
}

/** Content-hashed names, so the assets can be cached for good and the HTML never. */
function asset(name: string, extension: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  return { path: `/assets/${name}.${hash}.${extension}`, type, body };
}

export async function buildWebPage(): Promise<WebPage> {
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = asset('app', 'js', 'text/javascript', bundle.outputFiles[0]!.text);
  const styles = asset('styles', 'css', 'text/css', readFileSync(path.join(WEB_DIR, 'static/styles.css'), 'utf8'));
  const html = readFileSync(path.join(WEB_DIR, 'static/index.html'), 'utf8')
    .replace('{{script}}', script.path)
    .replace('{{styles}}', styles.path);
  return { html, assets: [script, styles] };
}

let built: Promise<WebPage> | undefined;

/** Built once per process; every server in it (tests start several) shares it. A failed build is tried again when next asked. */
export function webPage(): Promise<WebPage> {
  if (!built) {
    built = buildWebPage();
    built.catch(() => (built = undefined));
  }
  return built;
}

export function webPageRouter(): Router {
  const router = express.Router();
  router.get('/', async (_req, res) => {
    const page = await webPage();
    noSniff(res)
      .set({ 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' })
      .type('html')
      .send(page.html);
  });
  router.get('/assets/:file', async (req, res, next) => {
    const file = (await webPage()).assets.find((asset) => asset.path === req.path);
    if (!file) return next();
    noSniff(res).set('cache-control', 'public, max-age=31536000, immutable').type(file.type).send(file.body);
  });
  return router;
}

const noSniff = (res: Response) => res.set('x-content-type-options', 'nosniff');
