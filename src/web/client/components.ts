// Pieces several views share: thumbnail grids, word chips, links.
import { h } from './dom.js';
import type { Evidence, ImageMatch, ImageSummary, WordMatch } from './queries.js';
import { href } from './router.js';

export const THUMBNAIL_WIDTH = 240;
export const LARGE_WIDTH = 800;

/** The server's resized copy of an image (never the full-size original in grids). */
export function sizedUrl(image: { url: string }, width: number): string {
  const url = new URL(image.url, location.href);
  url.searchParams.set('w', String(width));
  return url.origin === location.origin ? url.pathname + url.search : url.toString();
}

/** The first caption describes the photo best; the category is the fallback. */
export function altText(image: ImageSummary): string {
  return image.captions[0]?.trim() || `A photo${image.category ? ` of the category ${image.category}` : ''} (${image.id})`;
}

export const distanceLabel = (distance: number) => `distance ${distance.toFixed(2)}`;

export function thumbnailGrid(items: (ImageSummary | ImageMatch)[], label: string): HTMLElement {
  return h(
    'ul',
    { class: 'grid', 'aria-label': label },
    items.map((item) => {
      const image = 'image' in item ? item.image : item;
      const distance = 'image' in item ? item.distance : undefined;
      // Why a photo came up for a text: its caption that matches the words.
      const matched = 'image' in item ? item.matchedCaption : undefined;
      return h(
        'li',
        { 'data-image-id': image.id, 'data-category': image.category ?? '' },
        h(
          'a',
          { href: href('image', { id: image.id }) },
          h('img', {
            src: sizedUrl(image, THUMBNAIL_WIDTH),
            alt: altText(image),
            loading: 'lazy',
            width: THUMBNAIL_WIDTH,
            height: THUMBNAIL_WIDTH,
          }),
          h(
            'span',
            { class: 'caption' },
            image.category ?? 'no category',
            distance === undefined ? null : h('span', { class: 'distance' }, distanceLabel(distance)),
          ),
          matched ? h('q', { class: 'matched' }, matched) : null,
        ),
      );
    }),
  );
}

/** How a tag's source reads beside it. */
const SOURCE_LABELS = { CAPTION: 'caption', SIMILAR_PHOTOS: 'similar photos', MODEL: 'model' } as const;

/** Width of a voting photo's thumbnail beside a tag (served twice as wide for sharp screens). */
const EVIDENCE_WIDTH = 28;

/** The photos that voted for a tag, small, each with its caption that used the word on hover (they may be reference photos). */
function evidenceThumbnails(evidence: readonly Evidence[], word: string): HTMLElement | null {
  if (evidence.length === 0) return null;
  return h(
    'span',
    { class: 'evidence', 'aria-label': `Similar photos whose captions say “${word}”` },
    evidence.map((vote) => {
      const says = `“${vote.caption}” (vote ${vote.weight.toFixed(2)})`;
      return h('img', {
        src: sizedUrl(vote.image, EVIDENCE_WIDTH * 2),
        alt: says,
        title: says,
        'data-image-id': vote.image.id,
        width: EVIDENCE_WIDTH,
        height: EVIDENCE_WIDTH,
      });
    }),
  );
}

/** Words as links that search for themselves; a tag says where it came from, and which similar photos voted for it. */
export function wordChips(words: WordMatch[], label: string): HTMLElement {
  return h(
    'ul',
    { class: 'chips', 'aria-label': label },
    words.map((match) =>
      h(
        'li',
        {},
        h('a', { href: href('search', { q: match.word.text }), title: distanceLabel(match.distance) }, match.word.text),
        match.source ? h('small', { class: 'source' }, SOURCE_LABELS[match.source]) : null,
        evidenceThumbnails(match.evidence ?? [], match.word.text),
      ),
    ),
  );
}

export function categorySelect(id: string, options: string[], selected: string | null, anyLabel: string): HTMLSelectElement {
  return h(
    'select',
    { id, name: 'category' },
    h('option', { value: '' }, anyLabel),
    options.map((name) => h('option', { value: name, selected: name === selected }, name)),
  );
}
