// The page's entry: the header's search form, drag-and-drop anywhere, and
// the hash router that draws one view at a time into <main>.
import { errorBox, show } from './dom.js';
import { categories } from './queries.js';
import { navigate, parseRoute, type RouteName } from './router.js';
import { renderBrowse } from './views/browse.js';
import { renderDuplicates } from './views/duplicates.js';
import { renderHome } from './views/home.js';
import { renderImage } from './views/image.js';
import { renderSearch } from './views/search.js';
import { choosePhoto, renderUpload } from './views/upload.js';
import type { RenderView } from './views/view.js';
import { showWarmingUp } from './warming.js';

const VIEWS: Record<RouteName, RenderView> = {
  home: renderHome,
  search: renderSearch,
  image: renderImage,
  browse: renderBrowse,
  upload: renderUpload,
  duplicates: renderDuplicates,
};

const main = document.querySelector('main')!;
const searchForm = document.querySelector<HTMLFormElement>('#search-form')!;
const searchInput = searchForm.querySelector<HTMLInputElement>('input[name=q]')!;
const searchCategory = searchForm.querySelector<HTMLSelectElement>('select[name=category]')!;
// A failure here only leaves the category lists empty; searching still works.
const categoryNames = categories().catch(() => [] as string[]);
let generation = 0;

async function render(): Promise<void> {
  const route = parseRoute(location.hash);
  if (!route) return;
  const mine = ++generation;
  const firstView = mine === 1;
  if (route.name === 'search') {
    searchInput.value = route.params.get('q') ?? '';
    searchCategory.value = route.params.get('category') ?? '';
  }
  document.querySelectorAll<HTMLAnchorElement>('header nav a').forEach((link) => {
    if (link.dataset.route === route.name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  try {
    await VIEWS[route.name]({
      main,
      params: route.params,
      categories: categoryNames,
      isCurrent: () => mine === generation,
      titled(heading) {
        document.title = `${heading.textContent} · semsearch`;
        // Keyboard and screen-reader users land on the new content, not the top.
        if (!firstView) heading.focus();
      },
    });
  } catch (err) {
    console.error(err);
    if (mine === generation) show(main, errorBox('Something went wrong in this page. Reload it and try again.'));
  }
}

searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = searchInput.value.trim();
  if (!q) {
    searchInput.focus();
    return;
  }
  const before = location.hash;
  navigate('search', { q, category: searchCategory.value });
  if (location.hash === before) void render(); // the same search again
});

// On a results page a new category applies at once; elsewhere it waits for a search.
searchCategory.addEventListener('change', () => {
  if (parseRoute(location.hash)?.name === 'search' && searchInput.value.trim()) searchForm.requestSubmit();
});

void categoryNames.then((names) => {
  for (const name of names) searchCategory.add(new Option(name, name));
  searchCategory.value = parseRoute(location.hash)?.params.get('category') ?? '';
});

// A photo dropped anywhere is searched, instead of the browser opening it.
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  document.body.classList.remove('dragging');
  const file = event.dataTransfer?.files[0];
  if (!file) return;
  if (parseRoute(location.hash)?.name !== 'upload') navigate('upload');
  void choosePhoto(file);
});

window.addEventListener('hashchange', () => void render());
void render();
void showWarmingUp(document.querySelector('header')!);
