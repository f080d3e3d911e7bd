// After a first start the server answers each question as soon as its data is
// ready: a line under the header says what is still warming up (from /readyz),
// and goes away once everything is ready.
import { h } from './dom.js';

const POLL_MS = 5_000;

interface Readiness {
  ready: boolean;
  message?: string;
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
    if (!state || state.ready || !state.message) {
      line.remove();
      if (state?.ready) return;
    } else {
      line.textContent = state.message;
      if (!line.isConnected) header.after(line);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
