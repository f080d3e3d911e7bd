// The photo view's writes: an editor for category and captions (one a line),
// and "Delete" with a confirmation step. Both are plain forms and buttons, so
// the keyboard reaches everything; the server checks what is sent.
import { errorBox, h, loading, show } from '../dom.js';
import { photoForm } from '../photoForm.js';
import { deleteImage, updateImage, type ImageDetail } from '../queries.js';
import { href } from '../router.js';
import { messageOf } from './search.js';
import type { View } from './view.js';

/** "Saved." for the photo just saved, shown once when its view is drawn again. */
let savedId: string | null = null;

export async function editForm(view: View, image: ImageDetail, redraw: () => void): Promise<HTMLElement> {
  const { form, status } = photoForm({
    idPrefix: 'edit',
    className: 'edit-form',
    title: null,
    label: 'Edit category and captions',
    categories: await view.categories,
    category: image.category ?? '',
    captions: image.captions,
    categoryPlaceholder: 'None',
    captionsPlaceholder: 'One caption a line',
    captionsLabel: 'Captions (one a line)',
    submitLabel: 'Save changes',
    busyText: 'Saving…',
    async submit(category, captions) {
      await updateImage(image.id, category, captions);
      savedId = image.id;
      if (view.isCurrent()) redraw();
    },
  });
  const justSaved = savedId === image.id;
  savedId = null;
  if (justSaved) {
    const note = h('p', { class: 'success', role: 'status', tabindex: -1 }, 'Saved.');
    show(status, note);
    // Once the view is drawn again, the keyboard stays where the person was working.
    setTimeout(() => note.focus(), 0);
  }
  return h('details', { class: 'edit', open: justSaved }, h('summary', {}, 'Edit category and captions'), form);
}

export function deleteArea(view: View, image: ImageDetail): HTMLElement {
  const area = h('section', { class: 'delete', 'aria-label': 'Delete this photo' });
  const ask = () => {
    const start = h('button', { type: 'button', class: 'danger' }, 'Delete');
    start.addEventListener('click', () => confirm());
    show(area, start);
    return start;
  };
  const confirm = () => {
    const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, delete it');
    const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const status = h('div', {});
    const question = h('p', { id: 'delete-question' }, `Delete photo ${image.id} for good? Its file and vectors go too; this cannot be undone.`);
    no.addEventListener('click', () => ask().focus());
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      show(status, loading('Deleting…'));
      try {
        await deleteImage(image.id);
        if (!view.isCurrent()) return;
        const done = h(
          'p',
          { class: 'success', role: 'status', tabindex: -1 },
          `Photo ${image.id} was deleted. `,
          h('a', { href: href('browse') }, 'Browse the collection'),
        );
        const heading = h('h1', { tabindex: -1 }, 'Photo deleted');
        show(view.main, heading, done);
        view.titled(heading);
        done.focus();
      } catch (err) {
        yes.disabled = false;
        no.disabled = false;
        show(status, errorBox(messageOf(err)));
      }
    });
    show(area, h('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'delete-question' }, question, yes, ' ', no, status));
    no.focus();
  };
  ask();
  return area;
}
