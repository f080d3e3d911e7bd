// One photo: large, with its captions, category, predicted tags and the most
// similar photos (each a link, so a person can walk the collection); an
// editor for its category and captions, and deletion after a confirmation.
import { altText, LARGE_WIDTH, sizedUrl, thumbnailGrid, wordChips } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { imageDetail } from '../queries.js';
import { href } from '../router.js';
import { deleteArea, editForm } from './imageEdit.js';
import { messageOf } from './search.js';
import type { View } from './view.js';

export async function renderImage(view: View): Promise<void> {
  const id = view.params.get('id') ?? '';
  const heading = h('h1', { tabindex: -1 }, `Photo ${id}`);
  show(view.main, heading, loading('Loading the photo…'));
  view.titled(heading);

  let image;
  try {
    image = await imageDetail(id);
  } catch (err) {
    if (view.isCurrent()) show(view.main, heading, errorBox(messageOf(err)));
    return;
  }
  if (!view.isCurrent()) return;
  if (!image) {
    show(view.main, heading, errorBox(`There is no photo with the id '${id}'.`), h('p', {}, h('a', { href: href('browse') }, 'Browse the collection')));
    return;
  }
  const shownWidth = Math.min(LARGE_WIDTH, image.width);
  show(
    view.main,
    heading,
    h(
      'div',
      { class: 'photo' },
      h(
        'figure',
        {},
        h('img', {
          src: sizedUrl(image, LARGE_WIDTH),
          alt: altText(image),
          width: shownWidth,
          height: Math.round((shownWidth * image.height) / image.width),
        }),
        image.captions.length > 0
          ? h('figcaption', {}, h('ul', { class: 'captions' }, image.captions.map((caption) => h('li', {}, caption))))
          : h('figcaption', {}, 'No captions.'),
      ),
      h(
        'div',
        { class: 'facts' },
        h(
          'dl',
          {},
          h('dt', {}, 'Category'),
          h('dd', {}, image.category ? h('a', { href: href('browse', { category: image.category }) }, image.category) : 'none'),
          h('dt', {}, 'Size'),
          h('dd', {}, `${image.width} × ${image.height} pixels`),
        ),
        h('h2', { id: 'tags-heading' }, 'Predicted tags'),
        image.tags.length > 0 ? wordChips(image.tags, 'Predicted tags') : empty('No tags.'),
        await editForm(view, image, () => void renderImage(view)),
        deleteArea(view, image),
      ),
    ),
    h('h2', {}, 'Similar photos'),
    image.similar.length > 0 ? thumbnailGrid(image.similar, 'Similar photos') : empty('No other photos yet.'),
  );
}
