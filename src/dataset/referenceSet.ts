// The reference set on disk: flickr8k-reference/images/<file>.jpg with their
// captions in flickr8k-reference/captions.jsonl (`{"file", "captions"}` a
// line). A prepared copy in ASSETS_DIR is used as it is; an online machine
// builds the same layout from the public Flickr8k archives (assets/flickr8k.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCaptionLines } from './captionFiles.js';

export const REFERENCE_DIR_NAME = 'flickr8k-reference';
/** The `source` of the reference set's rows. */
export const REFERENCE_ORIGIN = 'flickr8k';

export interface ReferencePhoto {
  /** The file stem ('1000268201_693b08cb0e'): its id in the store. */
  id: string;
  file: string;
  captions: string[];
}

export const referenceDir = (assetsDir: string) => path.join(assetsDir, REFERENCE_DIR_NAME);
export const referenceCaptionsFile = (root: string) => path.join(root, 'captions.jsonl');
export const referenceImagePath = (root: string, file: string) => path.join(root, 'images', file);

/** Every photo listed with captions whose image file is there, in file order (a stable seeding order). */
export function listReferencePhotos(assetsDir: string): ReferencePhoto[] {
  const root = referenceDir(assetsDir);
  const captionsFile = referenceCaptionsFile(root);
  if (!existsSync(captionsFile)) throw new Error(`the reference set is missing: no ${REFERENCE_DIR_NAME}/captions.jsonl in ASSETS_DIR (${assetsDir})`);
  const captions = parseCaptionLines(readFileSync(captionsFile, 'utf8'));
  return [...captions]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, list]) => ({ id: file.replace(/\.[^.]+$/, ''), file: referenceImagePath(root, file), captions: list }))
    .filter((photo) => existsSync(photo.file));
}
