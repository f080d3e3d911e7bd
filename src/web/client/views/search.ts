// Text → images (a thumbnail grid with distances) and the nearest words as
// chips; the two questions are asked separately so one can fail alone. The
// photos stop where the relevance cut (cut: AUTO) ends them, with "N more,
// less similar" to see the rest; "More results" continues after the last.
import { ApiError } from '../api.js';
import { thumbnailGrid, wordChips } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { imagesForText, RESULTS, similarWords, type PagedMatch } from '../queries.js';
import { href } from '../router.js';
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
    const all = view.params.get('all') === '1';
    const kept = all ? matches : matches.filter((match) => match.scores.keptByCut);
    const less = matches.length - kept.length;
    show(
      images,
      unknownWords.length > 0 ? h('p', { class: 'status' }, `Not known, so left out: ${unknownWords.join(', ')}.`) : null,
      matches.length === 0 ? empty(`No photos match “${text}”${where}.`) : thumbnailGrid(kept, `Photos for ${text}`),
      less > 0
        ? h('p', { class: 'cut' }, `${less} more, less similar: `, h('a', { href: href('search', { q: text, category, all: 1 }) }, 'show them'))
        : moreResults(view, text, category, matches),
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

/** A full page may go on: "More results" adds the next page after its last match, as often as asked. */
function moreResults(view: View, text: string, category: string | null, page: PagedMatch[]): HTMLElement | null {
  if (page.length < RESULTS) return null;
  const button = h('button', { type: 'button' }, 'More results');
  const area = h('div', { class: 'more' }, button);
  let last = page.at(-1)!.cursor;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const next = (await imagesForText(text, category, last)).matches;
      if (!view.isCurrent()) return;
      area.before(thumbnailGrid(next, `More photos for ${text}`));
      if (next.length < RESULTS) area.remove();
      else last = next.at(-1)!.cursor;
    } catch (err) {
      area.append(errorBox(messageOf(err)));
    } finally {
      button.disabled = false;
    }
  });
  return area;
}

export function messageOf(reason: unknown): string {
  return reason instanceof ApiError ? reason.message : 'Something went wrong in this page. Reload it and try again.';
}
