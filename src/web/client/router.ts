// Hash routes (#/search?q=dog) so links, the back button and bookmarks work
// without any server-side routing: the server serves one page.
export type RouteName = 'home' | 'search' | 'image' | 'browse' | 'upload' | 'duplicates';
const NAMES: readonly RouteName[] = ['home', 'search', 'image', 'browse', 'upload', 'duplicates'];

export interface Route {
  name: RouteName;
  params: URLSearchParams;
}

export function href(name: RouteName, params: Record<string, string | number | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') query.set(key, String(value));
  }
  const search = query.toString();
  return `#/${name === 'home' ? '' : name}${search ? `?${search}` : ''}`;
}

/** null for hashes that are not routes (e.g. in-page anchors). */
export function parseRoute(hash: string): Route | null {
  if (hash !== '' && hash !== '#' && !hash.startsWith('#/')) return null;
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const name = (path === '' ? 'home' : path) as RouteName;
  return NAMES.includes(name) ? { name, params: new URLSearchParams(search) } : { name: 'home', params: new URLSearchParams() };
}

export function navigate(name: RouteName, params: Record<string, string | number | null | undefined> = {}): void {
  location.hash = href(name, params);
}
