// The write token: asked for once, the first time a change needs it (the
// server answered UNAUTHENTICATED or FORBIDDEN), and kept for this tab only
// (sessionStorage: gone when the tab closes, never sent to another site).
import { h } from './dom.js';

const STORAGE_KEY = 'semsearch.writeToken';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage refused (private mode): the token lasts for this request only.
  }
}

/**
 * Asks for a token in a modal dialog, with `reason` as its first line.
 * Resolves to the token, stored for the tab, or null when the person cancels.
 */
export function askForToken(reason: string): Promise<string | null> {
  storeToken(null);
  const input = h('input', {
    type: 'password',
    id: 'write-token',
    name: 'token',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const dialog = h(
    'dialog',
    { class: 'token-dialog', 'aria-labelledby': 'token-title' },
    h(
      'form',
      {},
      h('h2', { id: 'token-title' }, 'Write token needed'),
      h('p', { class: 'reason' }, reason),
      h('label', { for: 'write-token' }, 'Token'),
      input,
      h('p', { class: 'hint' }, 'Kept in this tab until it closes.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Send'), cancel),
    ),
  );
  document.body.append(dialog);
  const form = dialog.querySelector('form')!;
  return new Promise((resolve) => {
    // Closed by hand, not by a form submission (the page's CSP allows none).
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      dialog.close('ok');
    });
    cancel.addEventListener('click', () => dialog.close(''));
    dialog.addEventListener('close', () => {
      const token = dialog.returnValue === 'ok' ? input.value.trim() : '';
      dialog.remove();
      storeToken(token || null);
      resolve(token || null);
    });
    dialog.showModal();
    input.focus();
  });
}
