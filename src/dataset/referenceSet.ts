// The reference set on disk (ASSETS_DIR/flickr8k-reference): 7,091 everyday
// photos (Flickr8k, squashed to 224×224) with 5 captions each, which may be
// used to train, tune and serve. The evaluation reads it from here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REFERENCE_SET_DIR_NAME = 'flickr8k-reference';

export interface ReferencePhoto {
  /** The file stem ("1000268201_693b08cb0e"). */
  id: string;
  file: string;
  captions: string[];
}

/** Every photo of the set, in the order of captions.jsonl; [] when the set is not there. */
export function listReferenceSet(assetsDir: string): ReferencePhoto[] {
  const root = path.join(assetsDir, REFERENCE_SET_DIR_NAME);
  const index = path.join(root, 'captions.jsonl');
  if (!existsSync(index)) return [];
  return readFileSync(index, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { file: string; captions: string[] })
    .map((row) => ({ id: path.parse(row.file).name, captions: row.captions, file: path.join(root, 'images', row.file) }));
}
