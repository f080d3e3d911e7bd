// The Pascal Sentences dataset on disk: pascal-sentences/dataset/<category>/<id>.jpg
// with captions in pascal-sentences/sentences/<category>/<id>.txt (one a line).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const PASCAL_DIR_NAME = 'pascal-sentences';

export interface PascalImage {
  /** The file stem, e.g. "2008_000116": the image's id in the store. */
  id: string;
  category: string;
  file: string;
  captions: string[];
}

export function pascalDir(assetsDir: string): string {
  return path.join(assetsDir, PASCAL_DIR_NAME);
}

export function imagePath(root: string, category: string, id: string): string {
  return path.join(root, 'dataset', category, `${id}.jpg`);
}

export function captionsPath(root: string, category: string, id: string): string {
  return path.join(root, 'sentences', category, `${id}.txt`);
}

export function parseCaptions(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Every image of the dataset, sorted by category then id (a stable seeding order). */
export function listPascalImages(assetsDir: string): PascalImage[] {
  const root = pascalDir(assetsDir);
  const datasetDir = path.join(root, 'dataset');
  if (!existsSync(datasetDir)) {
    throw new Error(`Pascal Sentences not found: no ${PASCAL_DIR_NAME}/dataset folder in ASSETS_DIR (${assetsDir})`);
  }
  const images: PascalImage[] = [];
  for (const category of readdirSync(datasetDir).sort()) {
    const files = readdirSync(path.join(datasetDir, category)).filter((name) => name.endsWith('.jpg'));
    for (const name of files.sort()) {
      const id = name.slice(0, -'.jpg'.length);
      const captionsFile = captionsPath(root, category, id);
      const captions = existsSync(captionsFile) ? parseCaptions(readFileSync(captionsFile, 'utf8')) : [];
      images.push({ id, category, file: imagePath(root, category, id), captions });
    }
  }
  return images;
}
