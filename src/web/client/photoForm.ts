// The form for a photo's category and captions, shared by "Add to the
// collection" and the photo view's editor: a category typed freely with the
// known ones offered, captions one a line, and the server's answer below.
import { errorBox, h, loading, show } from './dom.js';
import { messageOf } from './views/search.js';

export interface PhotoFormOptions {
  /** Prefix of the fields' ids ('add', 'edit'): each form's labels point at its own fields. */
  idPrefix: string;
  className: string;
  title: HTMLElement | null;
  label?: string;
  categories: string[];
  category: string;
  captions: string[];
  categoryPlaceholder: string;
  captionsPlaceholder: string;
  captionsLabel: string;
  submitLabel: string;
  busyText: string;
  /** Sends the fields; a thrown error is shown in the form, which stays open for another try. */
  submit(category: string | null, captions: string[]): Promise<void>;
}

export function photoForm(options: PhotoFormOptions): { form: HTMLFormElement; status: HTMLElement } {
  const id = (field: string) => `${options.idPrefix}-${field}`;
  // Free text with the known categories offered: a photo may start a new category.
  const category = h('input', {
    id: id('category'),
    name: 'category',
    list: id('category-options'),
    autocomplete: 'off',
    value: options.category,
    placeholder: options.categoryPlaceholder,
  });
  const captions = h('textarea', { id: id('captions'), name: 'captions', rows: 3, placeholder: options.captionsPlaceholder });
  captions.value = options.captions.join('\n');
  const button = h('button', { type: 'submit' }, options.submitLabel);
  const status = h('div', {});
  const form = h(
    'form',
    { class: options.className, 'aria-label': options.label },
    options.title,
    h('label', { for: id('category') }, 'Category'),
    category,
    h('datalist', { id: id('category-options') }, options.categories.map((name) => h('option', { value: name }))),
    h('label', { for: id('captions') }, options.captionsLabel),
    captions,
    button,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    show(status, loading(options.busyText));
    try {
      const lines = captions.value.split('\n').map((line) => line.trim()).filter(Boolean);
      await options.submit(category.value.trim() || null, lines);
    } catch (err) {
      show(status, errorBox(messageOf(err)));
    } finally {
      button.disabled = false;
    }
  });
  return { form, status };
}
