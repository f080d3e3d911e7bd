// Copies of one photo, group by group: the photo to keep and each copy with
// how it differs, and a delete button (with a confirmation) for each copy.
// "More groups" continues after the page's last group.
import { altText, sizedUrl, THUMBNAIL_WIDTH } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { deleteImage, DUPLICATE_GROUPS, duplicates, type DuplicateCopy, type DuplicateGroup, type ImageSummary } from '../queries.js';
import { href } from '../router.js';
import { messageOf } from './search.js';
import type { View } from './view.js';

const KIND_LABELS = { EXACT: 'the same pixels', NEAR: 'a changed copy' } as const;

function photo(image: ImageSummary, note: string): HTMLElement {
  return h(
    'a',
    { href: href('image', { id: image.id }) },
    h('img', { src: sizedUrl(image, THUMBNAIL_WIDTH), alt: altText(image), loading: 'lazy', width: THUMBNAIL_WIDTH, height: THUMBNAIL_WIDTH }),
    h('span', { class: 'caption' }, note),
  );
}

/** A copy with its delete button: one click asks, the second deletes. */
function copyItem(copy: DuplicateCopy): HTMLElement {
  const what = `${KIND_LABELS[copy.kind]}${copy.mirrored ? ', mirrored' : ''} · distance ${copy.distance.toFixed(3)}`;
  const item = h('li', { 'data-image-id': copy.image.id, class: 'copy' }, photo(copy.image, what));
  const start = h('button', { type: 'button', class: 'danger' }, 'Delete this copy');
  const area = h('div', { class: 'delete' }, start);
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger' }, `Yes, delete ${copy.image.id}`);
    const no = h('button', { type: 'button' }, 'Keep it');
    const status = h('p', { class: 'status', role: 'status' });
    no.addEventListener('click', () => show(area, start));
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await deleteImage(copy.image.id);
        show(item, h('p', { class: 'status', role: 'status' }, `Copy ${copy.image.id} was deleted.`));
      } catch (err) {
        yes.disabled = false;
        show(status, messageOf(err));
      }
    });
    show(area, yes, ' ', no, status);
  });
  item.append(area);
  return item;
}

function groupItem(group: DuplicateGroup): HTMLElement {
  return h(
    'li',
    { class: 'duplicate-group', 'data-original-id': group.original.id },
    h('ul', { class: 'grid', 'aria-label': `Copies of ${group.original.id}` }, h('li', { class: 'original', 'data-image-id': group.original.id }, photo(group.original, 'keep: the largest')), group.copies.map(copyItem)),
  );
}

export async function renderDuplicates(view: View): Promise<void> {
  const after = view.params.get('after') || null;
  const heading = h('h1', { tabindex: -1 }, 'Duplicates');
  const intro = h('p', {}, 'Copies of one photo (resized, recompressed, cropped a little, mirrored or rotated). Photos that only look alike are not listed.');
  show(view.main, heading, intro, loading('Looking for copies…'));
  view.titled(heading);
  let groups: DuplicateGroup[];
  try {
    groups = await duplicates(after);
  } catch (err) {
    if (view.isCurrent()) show(view.main, heading, intro, errorBox(messageOf(err)));
    return;
  }
  if (!view.isCurrent()) return;
  if (groups.length === 0) {
    show(view.main, heading, intro, empty(after ? 'No more copies.' : 'No copies in the collection.'));
    return;
  }
  // A full page may have more after it.
  const more = groups.length === DUPLICATE_GROUPS ? h('a', { href: href('duplicates', { after: groups.at(-1)!.cursor }), rel: 'next' }, 'More groups →') : null;
  show(view.main, heading, intro, h('ol', { class: 'duplicates', 'aria-label': 'Groups of copies' }, groups.map(groupItem)), h('nav', { class: 'pager', 'aria-label': 'Pages' }, more));
}
