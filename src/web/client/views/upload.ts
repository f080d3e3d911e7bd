// A person's own photo: similar photos and tags without storing it, and a
// button that adds it to the collection (searchable at once).
import { thumbnailGrid, wordChips } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { addImage, describePhoto, type ImageMatch, type ImageSummary, type WordMatch } from '../queries.js';
import { href } from '../router.js';
import { photoForm } from '../photoForm.js';
import { messageOf } from './search.js';
import type { View } from './view.js';

const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** Larger files are scaled down first: the model sees 224 px, and requests stay small. */
const MAX_SEND_BYTES = 700 * 1024;
const MAX_SEND_SIDE = 1600;

interface Photo {
  name: string;
  dataUrl: string;
  resized: boolean;
  answer?: Promise<{ similar: ImageMatch[]; tags: WordMatch[] }>;
  added?: ImageSummary;
}

/** The photo being looked at survives visits to other views. */
let current: Photo | null = null;
/** Why the last chosen file could not be used. */
let problem: string | null = null;
let rerender: (() => void) | null = null;

/** Called for a file from the picker or dropped anywhere on the page. */
export async function choosePhoto(file: File): Promise<void> {
  current = null;
  problem = null;
  if (!ACCEPTED_TYPES.includes(file.type)) {
    problem = `“${file.name}” is not a JPEG, PNG or WebP photo, so it cannot be searched.`;
  } else {
    try {
      const { dataUrl, resized } = await readPhoto(file);
      current = { name: file.name, dataUrl, resized, answer: describePhoto(dataUrl) };
    } catch {
      problem = `“${file.name}” could not be read as a photo. Try another file.`;
    }
  }
  rerender?.();
}

export async function renderUpload(view: View): Promise<void> {
  const heading = h('h1', { tabindex: -1 }, 'Search with a photo');
  const input = h('input', { type: 'file', id: 'photo-input', accept: ACCEPTED_TYPES.join(','), class: 'visually-hidden' });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void choosePhoto(file);
  });
  const dropzone = h(
    'label',
    { class: 'dropzone', for: 'photo-input' },
    input,
    h('strong', {}, 'Choose a photo'),
    ' or drop one here (JPEG, PNG or WebP). It is not stored unless you add it.',
  );
  const results = h('div', { class: 'upload-results' });
  show(view.main, heading, dropzone, results);
  view.titled(heading);
  rerender = () => {
    if (view.isCurrent()) void showPhoto(view, results);
  };
  await showPhoto(view, results);
}

async function showPhoto(view: View, results: HTMLElement): Promise<void> {
  if (problem) return show(results, errorBox(problem));
  const photo = current;
  if (!photo?.answer) return show(results);
  const tags = h('section', { 'aria-label': 'Tags for your photo' }, loading('Looking at your photo…'));
  const similar = h('section', { 'aria-label': 'Similar photos' });
  const addArea = h('section', { class: 'add', 'aria-label': 'Add to the collection' });
  show(
    results,
    h(
      'div',
      { class: 'photo' },
      h(
        'figure',
        {},
        h('img', { src: photo.dataUrl, alt: `Your photo ${photo.name}`, class: 'preview' }),
        h('figcaption', {}, photo.name, photo.resized ? ' (scaled down before sending)' : ''),
      ),
      h('div', { class: 'facts' }, tags, addArea),
    ),
    similar,
  );
  let answer;
  try {
    answer = await photo.answer;
  } catch (err) {
    if (view.isCurrent() && photo === current) {
      show(tags, errorBox(`“${photo.name}” could not be used as a photo.`, `The server said: ${messageOf(err)}`));
    }
    return;
  }
  if (!view.isCurrent() || photo !== current) return;
  show(tags, h('h2', {}, 'Tags'), answer.tags.length > 0 ? wordChips(answer.tags, 'Tags for your photo') : empty('No tags.'));
  show(similar, h('h2', {}, 'Similar photos'), answer.similar.length > 0 ? thumbnailGrid(answer.similar, 'Similar photos') : empty('No photos yet.'));
  void showAddForm(view, photo, addArea, answer.tags[0]?.word.text);
}

async function showAddForm(view: View, photo: Photo, area: HTMLElement, topTag: string | undefined): Promise<void> {
  if (photo.added) return show(area, addedNote(photo.added, topTag));
  const { form } = photoForm({
    idPrefix: 'add',
    className: 'add-form',
    title: h('h2', {}, 'Add it to the collection'),
    categories: await view.categories,
    category: '',
    captions: [],
    categoryPlaceholder: 'Optional',
    captionsPlaceholder: 'One caption a line (optional)',
    captionsLabel: 'Captions',
    submitLabel: 'Add to the collection',
    busyText: 'Adding your photo…',
    async submit(category, captions) {
      photo.added = await addImage(photo.dataUrl, category, captions);
      if (photo === current) show(area, addedNote(photo.added, topTag));
    },
  });
  if (view.isCurrent() && photo === current) show(area, form);
}

function addedNote(image: ImageSummary, topTag: string | undefined): HTMLElement {
  return h(
    'p',
    { class: 'success', role: 'status' },
    'Added as ',
    h('a', { href: href('image', { id: image.id }) }, image.id),
    '. It is searchable now',
    topTag ? [': try ', h('a', { href: href('search', { q: topTag, category: image.category }) }, topTag)] : '',
    '.',
  );
}

async function readPhoto(file: File): Promise<{ dataUrl: string; resized: boolean }> {
  if (file.size <= MAX_SEND_BYTES) return { dataUrl: await asDataUrl(file), resized: false };
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SEND_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = h('canvas', { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return { dataUrl: canvas.toDataURL('image/jpeg', 0.9), resized: true };
}

function asDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(new Error(`Could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}
