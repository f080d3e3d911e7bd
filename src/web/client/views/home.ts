// The start page: what the page does, some searches to try, the categories.
import { h, show } from '../dom.js';
import { href } from '../router.js';
import type { View } from './view.js';

const EXAMPLES = ['dog', 'cat sofa', 'ocean', 'street', 'tree', 'snow'];

export async function renderHome(view: View): Promise<void> {
  const heading = h('h1', { tabindex: -1 }, 'Find photos by what they show');
  const categoryList = h('ul', { class: 'chips', 'aria-label': 'Categories' });
  show(
    view.main,
    heading,
    h(
      'p',
      {},
      'Type a few words above to see matching photos, open a photo to see its tags and similar photos, ',
      h('a', { href: href('upload') }, 'upload a photo'),
      ' of your own, or ',
      h('a', { href: href('browse') }, 'browse the collection'),
      '.',
    ),
    h('h2', {}, 'Try'),
    h(
      'ul',
      { class: 'chips', 'aria-label': 'Example searches' },
      EXAMPLES.map((text) => h('li', {}, h('a', { href: href('search', { q: text }) }, text))),
    ),
    h('h2', {}, 'Browse a category'),
    categoryList,
  );
  view.titled(heading);
  const names = await view.categories;
  if (!view.isCurrent()) return;
  show(categoryList, names.map((name) => h('li', {}, h('a', { href: href('browse', { category: name }) }, name))));
}
