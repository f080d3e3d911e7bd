// The collection page by page over the `images` connection. Pages are
// numbered in the address (bookmarkable); their cursors are remembered here,
// and a page reached directly is found by walking the cursors from the start.
import { categorySelect, thumbnailGrid } from '../components.js';
import { empty, errorBox, h, loading, show } from '../dom.js';
import { imagesPage, PAGE_SIZE, type ImagesPage } from '../queries.js';
import { href, navigate } from '../router.js';
import { messageOf } from './search.js';
import type { View } from './view.js';

/** category ('' = all) → cursor to start each page from (index 0 = page 1). */
const cursors = new Map<string, (string | null)[]>();

async function cursorFor(category: string | null, page: number): Promise<string | null> {
  const known = cursors.get(category ?? '') ?? [null];
  cursors.set(category ?? '', known);
  while (known.length < page) {
    const step = await imagesPage(category, known[known.length - 1] ?? null, false);
    if (!step.hasNextPage) break;
    known.push(step.endCursor);
  }
  return known[Math.min(page, known.length) - 1] ?? null;
}

function rememberNext(category: string | null, page: number, result: ImagesPage): void {
  const known = cursors.get(category ?? '')!;
  if (result.hasNextPage) known[page] = result.endCursor;
}

export async function renderBrowse(view: View): Promise<void> {
  const category = view.params.get('category') || null;
  const page = Math.max(1, Number.parseInt(view.params.get('page') ?? '1', 10) || 1);
  const heading = h('h1', { tabindex: -1 }, category ? `Browse: ${category}` : 'Browse the collection');
  const filter = h('form', { class: 'filter' }, h('label', { for: 'browse-category' }, 'Category'), categorySelect('browse-category', [], category, 'All categories'));
  const body = h('section', { 'aria-label': 'Photos' }, loading(`Loading page ${page}…`));
  show(view.main, heading, filter, body);
  view.titled(heading);

  void view.categories.then((names) => {
    const select = categorySelect('browse-category', names, category, 'All categories');
    select.addEventListener('change', () => navigate('browse', { category: select.value }));
    filter.querySelector('select')?.replaceWith(select);
  });

  let result: ImagesPage;
  let shownPage = page;
  try {
    const after = await cursorFor(category, page);
    shownPage = Math.min(page, cursors.get(category ?? '')!.length);
    result = await imagesPage(category, after);
  } catch (err) {
    if (view.isCurrent()) show(body, errorBox(messageOf(err)));
    return;
  }
  if (!view.isCurrent()) return;
  rememberNext(category, shownPage, result);
  if (result.totalCount === 0) {
    show(body, empty(category ? `No photos in the category ${category} yet.` : 'The collection is empty.'));
    return;
  }
  const pages = Math.max(1, Math.ceil(result.totalCount / PAGE_SIZE));
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    shownPage > 1 ? h('a', { href: href('browse', { category, page: shownPage - 1 }), rel: 'prev' }, '← Previous') : null,
    h('span', { class: 'status' }, `Page ${shownPage} of ${pages} · ${result.totalCount} photos`),
    result.hasNextPage ? h('a', { href: href('browse', { category, page: shownPage + 1 }), rel: 'next' }, 'Next →') : null,
  );
  show(body, pager, thumbnailGrid(result.nodes, `Photos, page ${shownPage}`), pager.cloneNode(true));
}
