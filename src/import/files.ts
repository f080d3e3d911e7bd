// What `npm run import` reads: the image files under the paths it is given,
// and the captions beside them.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Photos by name; a file named on the command line is tried whatever its name. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface FoundFiles {
  /** In the order given, each folder's files sorted by path. */
  files: string[];
  /** Paths that could not be read at all, with the reason. */
  unreadable: { file: string; reason: string }[];
  /** Files in the folders that are not photos by their name (sidecars, notes), left alone. */
  otherFiles: number;
}

export const isImageName = (file: string) => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());

/** Walks folders recursively for JPEG, PNG and WebP files. Each file is listed once. */
export async function findImageFiles(paths: readonly string[]): Promise<FoundFiles> {
  const found: FoundFiles = { files: [], unreadable: [], otherFiles: 0 };
  const seen = new Set<string>();
  const add = (file: string) => {
    const resolved = path.resolve(file);
    if (seen.has(resolved)) return;
    seen.add(resolved);
    found.files.push(file);
  };
  for (const given of paths) {
    try {
      if (!(await stat(given)).isDirectory()) add(given);
      else for (const file of await walk(given, found)) add(file);
    } catch (err) {
      found.unreadable.push({ file: given, reason: readError(err) });
    }
  }
  return found;
}

async function walk(dir: string, found: FoundFiles): Promise<string[]> {
  const files: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full, found)));
    else if (entry.isFile() && isImageName(entry.name)) files.push(full);
    else if (entry.isFile()) found.otherFiles++;
  }
  return files;
}

/**
 * Captions from `photo.jpg.txt`, else `photo.txt`, one a line (blank lines
 * skipped); undefined when there is neither.
 */
export async function readSidecarCaptions(file: string): Promise<string[] | undefined> {
  const withoutExtension = file.slice(0, file.length - path.extname(file).length);
  for (const sidecar of [`${file}.txt`, `${withoutExtension}.txt`]) {
    try {
      const text = await readFile(sidecar, 'utf8');
      return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

/** Why a path could not be read, in words. */
export function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a folder, not a file';
  return (err as Error).message;
}
