// A tiny element builder: enough DOM for a few views without a framework.
type Child = Node | string | number | null | undefined | false;
type Prop = string | number | boolean | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, Prop> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  element.append(...flatten(children));
  return element;
}

function flatten(children: (Child | Child[])[]): (Node | string)[] {
  return children
    .flat()
    .filter((child): child is Node | string | number => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === 'number' ? String(child) : child));
}

/** Replaces everything inside `parent`. */
export function show(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren(...flatten(children));
}

/** A polite "working on it" line that screen readers announce. */
export const loading = (text: string) => h('p', { class: 'status', role: 'status' }, text);

/** An error in words; `detail` (e.g. the server's own message) in smaller print below. */
export const errorBox = (text: string, detail?: string) =>
  h('div', { class: 'error', role: 'alert' }, h('p', {}, text), detail ? h('p', { class: 'detail' }, detail) : null);

export const empty = (text: string) => h('p', { class: 'empty', role: 'status' }, text);
