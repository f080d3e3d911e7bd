// After a first start the server answers each question as soon as its data is
// ready: a line under the header says what is still warming up (from /readyz),
// then, while the reference set is learnt, its progress and time left, and
// goes away once everything is done.
import { h } from './dom.js';

const POLL_MS = 5_000;

interface Readiness {
  ready: boolean;
  message?: string;
  learning?: string;
}

async function readiness(): Promise<Readiness | undefined> {
  try {
    const response = await fetch('/readyz');
    return (await response.json()) as Readiness;
  } catch {
    // Unreachable or not JSON: the questions themselves will say so.
    return undefined;
  }
}

export async function showWarmingUp(header: Element): Promise<void> {
  const line = h('p', { class: 'warming', role: 'status' });
  for (;;) {
    const state = await readiness();
    const text = state?.ready ? state.learning : state?.message;
    if (!state || !text) {
      line.remove();
      if (state?.ready) return;
    } else {
      line.textContent = text;
      if (!line.isConnected) header.after(line);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
