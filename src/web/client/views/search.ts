// Text → images (a thumbnail grid with distances) and the nearest words as
// chips; the two questions are asked separately so one can fail alone.
import { ApiError } from '../api.js';
import { thumbnailGrid, wordChips } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { imagesForText, similarWords } from '../queries.js';
import { renderHome } from './home.js';
import type { View } from './view.js';

export async function renderSearch(view: View): Promise<void> {
  const text = view.params.get('q')?.trim() ?? '';
  if (!text) return renderHome(view);
  const category = view.params.get('category') || null;
  const where = category ? ` in the category ${category}` : '';
  const heading = h('h1', { tabindex: -1 }, `Photos for “${text}”${where}`);
  const words = h('section', { class: 'words', 'aria-label': 'Related words' });
  const images = h('section', { class: 'results', 'aria-label': 'Matching photos' }, loading(`Searching photos for “${text}”…`));
  show(view.main, heading, words, images);
  view.titled(heading);

  const [imageAnswer, wordAnswer] = await Promise.allSettled([imagesForText(text, category), similarWords(text)]);
  if (!view.isCurrent()) return;

  const imageError = imageAnswer.status === 'rejected' ? messageOf(imageAnswer.reason) : null;
  if (imageAnswer.status === 'fulfilled') {
    const { matches, unknownWords } = imageAnswer.value;
    show(
      images,
      unknownWords.length > 0 ? h('p', { class: 'status' }, `Not known, so left out: ${unknownWords.join(', ')}.`) : null,
      matches.length === 0 ? empty(`No photos match “${text}”${where}.`) : thumbnailGrid(matches, `Photos for ${text}`),
    );
  } else {
    show(images, errorBox(imageError!));
  }
  if (wordAnswer.status === 'fulfilled' && wordAnswer.value.length > 0) {
    show(words, h('h2', {}, 'Related words'), wordChips(wordAnswer.value, 'Related words'));
  } else if (wordAnswer.status === 'rejected' && messageOf(wordAnswer.reason) !== imageError) {
    show(words, h('p', { class: 'empty' }, messageOf(wordAnswer.reason)));
  }
}

export function messageOf(reason: unknown): string {
  return reason instanceof ApiError ? reason.message : 'Something went wrong in this page. Reload it and try again.';
}
