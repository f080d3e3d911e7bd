// Makes sure the assets exist before they are used: present ones are used
// as they are; missing ones are downloaded when ASSETS_DOWNLOAD allows it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { mobilenetDir } from '../embedding/index.js';
import { DOWNLOADING_MARKER, downloadMobilenet, downloadPascal } from './download.js';
import { downloadFlickr8k } from './flickr8k.js';
import { pascalDir } from '../dataset/pascal.js';
import { referenceCaptionsFile, referenceDir } from '../dataset/referenceSet.js';

type AssetsConfig = Config['assets'];

function refuse(what: string, where: string): Error {
  return new Error(`${what} is missing at ${where} and ASSETS_DOWNLOAD=false: set ASSETS_DIR to a folder that has it`);
}

export async function ensureMobilenet(assets: AssetsConfig, log?: (message: string) => void): Promise<void> {
  const modelDir = mobilenetDir(assets.dir);
  if (existsSync(path.join(modelDir, 'model.json'))) return;
  if (!assets.download) throw refuse('The MobileNet model', modelDir);
  await downloadMobilenet({ baseUrl: assets.mobilenetBaseUrl, assetsDir: assets.dir, modelDir, log });
}

export async function ensurePascal(assets: AssetsConfig, log?: (message: string) => void): Promise<void> {
  const root = pascalDir(assets.dir);
  const complete = existsSync(path.join(root, 'dataset')) && !existsSync(path.join(root, DOWNLOADING_MARKER));
  if (complete) return;
  if (!assets.download) throw refuse('The Pascal Sentences dataset', root);
  await downloadPascal({ baseUrl: assets.pascalBaseUrl, assetsDir: assets.dir, log });
}

export async function ensureReferenceSet(assets: AssetsConfig, log?: (message: string) => void): Promise<void> {
  const root = referenceDir(assets.dir);
  const complete = existsSync(referenceCaptionsFile(root)) && !existsSync(path.join(root, DOWNLOADING_MARKER));
  if (complete) return;
  if (!assets.download) throw refuse('The reference set (flickr8k-reference)', root);
  await downloadFlickr8k({ baseUrl: assets.flickr8kBaseUrl, assetsDir: assets.dir, log });
}
