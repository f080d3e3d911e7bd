// Captions of photo collections, by file name, from the formats captioned
// sets come in: a COCO captions JSON (captions_train2017.json), a Flickr8k or
// Flickr30k token file (`<file>#<n>\t<caption>` a line), and the reference
// set's own captions.jsonl (`{"file", "captions": [...]}` a line).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Captions by file name (the base name: '1000268201_693b08cb0e.jpg'), in the file's order. */
export type CaptionsByFile = Map<string, string[]>;

function add(captions: CaptionsByFile, file: string, caption: string): void {
  const text = caption.trim();
  if (text === '') return;
  const name = path.basename(file);
  const list = captions.get(name);
  if (list) list.push(text);
  else captions.set(name, [text]);
}

interface CocoCaptions {
  images?: { id: number | string; file_name: string }[];
  annotations?: { image_id: number | string; caption: string }[];
}

/** A COCO captions file: `images` name the files, `annotations` hold the captions by image id. */
export function parseCocoCaptions(json: string): CaptionsByFile {
  const coco = JSON.parse(json) as CocoCaptions;
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations)) {
    throw new Error('not a COCO captions file: it needs "images" (id, file_name) and "annotations" (image_id, caption)');
  }
  const fileOf = new Map(coco.images.map((image) => [String(image.id), image.file_name]));
  const captions: CaptionsByFile = new Map();
  for (const annotation of coco.annotations) {
    const file = fileOf.get(String(annotation.image_id));
    if (file && typeof annotation.caption === 'string') add(captions, file, annotation.caption);
  }
  return captions;
}

/** A Flickr8k/Flickr30k token file: `<file>#<n>` TAB `<caption>` a line. */
export function parseFlickrTokens(text: string): CaptionsByFile {
  const captions: CaptionsByFile = new Map();
  for (const line of text.split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const key = line.slice(0, tab);
    const hash = key.lastIndexOf('#');
    add(captions, hash < 0 ? key : key.slice(0, hash), line.slice(tab + 1));
  }
  if (captions.size === 0) throw new Error('not a Flickr token file: no line of the form <file>#<n><TAB><caption>');
  return captions;
}

/** The reference set's captions.jsonl: `{"file", "captions": [...]}` a line. */
export function parseCaptionLines(text: string): CaptionsByFile {
  const captions: CaptionsByFile = new Map();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { file: string; captions: string[] };
    for (const caption of row.captions) add(captions, row.file, caption);
  }
  return captions;
}

/** The same as captions.jsonl lines (what the download writes). */
export function captionLines(captions: CaptionsByFile, source: string): string {
  return [...captions].map(([file, list]) => JSON.stringify({ file, captions: list, source })).join('\n') + '\n';
}

export type CaptionFormat = 'coco' | 'flickr';

/** Reads a caption file of `format`; the error names the file. */
export function readCaptionFile(file: string, format: CaptionFormat): CaptionsByFile {
  const text = readFileSync(file, 'utf8');
  try {
    return format === 'coco' ? parseCocoCaptions(text) : parseFlickrTokens(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
