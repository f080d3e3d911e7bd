// The COCO captions sample on disk (ASSETS_DIR/coco-captions-sample): 271
// everyday photos, 5 captions each, for evaluation only. Nothing trains on
// it, nothing stores it: `npm run eval` embeds the photos and scores them.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const COCO_SAMPLE_DIR_NAME = 'coco-captions-sample';

export interface CocoSamplePhoto {
  id: string;
  file: string;
  captions: string[];
}

export function cocoSampleDir(assetsDir: string): string {
  return path.join(assetsDir, COCO_SAMPLE_DIR_NAME);
}

/** Every photo of the sample, in the order of captions.jsonl; [] when the sample is not there. */
export function listCocoSample(assetsDir: string): CocoSamplePhoto[] {
  const root = cocoSampleDir(assetsDir);
  const index = path.join(root, 'captions.jsonl');
  if (!existsSync(index)) return [];
  return readFileSync(index, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { id: string; captions: string[] })
    .map((row) => ({ id: row.id, captions: row.captions, file: path.join(root, 'images', `${row.id}.jpg`) }));
}
