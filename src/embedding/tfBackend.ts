// TensorFlow.js backend selection: native tfjs-node when it is installed and
// loads (an optional dependency: its installer needs libtensorflow downloads),
// else WebAssembly with SIMD. Never the plain-JS `cpu` backend (15× slower):
// failing loudly beats serving at a fraction of the speed without noticing.
// TensorFlow.js itself is imported here, on first use: a restart that runs no
// model starts without it (about 0.3 s of module loading).
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';

type Tf = typeof TfCore;

export type TfBackend = 'tensorflow' | 'wasm';

// A variable name keeps TypeScript from resolving a package that may be absent.
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';

let ready: Promise<TfBackend> | undefined;

async function tryNative(tf: Tf): Promise<boolean> {
  try {
    await import(NATIVE_PACKAGE);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'];

/**
 * The Emscripten runtime adds process handlers that rethrow every uncaught
 * error from inside its minified source, so a crash anywhere in the server
 * would print that whole file instead of the error. Node's defaults are kept.
 */
async function withoutAddedProcessHandlers<T>(work: () => Promise<T>): Promise<T> {
  // Plain EventEmitter view: process's typed overloads do not take a union of event names.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  try {
    return await work();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

async function useWasm(tf: Tf): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  // In Node the .wasm files are read from the package's own dist folder.
  const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${distDir}${path.sep}`);
  return withoutAddedProcessHandlers(async () => {
    const selected = await tf.setBackend('wasm');
    await tf.ready();
    return selected;
  });
}

/** Selects and initialises the backend once per thread; returns its name. */
export function initTfBackend(log: (message: string) => void = () => undefined): Promise<TfBackend> {
  ready ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    if (await tryNative(tf)) {
      log('TensorFlow.js backend: tensorflow (native tfjs-node)');
      return 'tensorflow';
    }
    if (await useWasm(tf)) {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      log(`TensorFlow.js backend: wasm (SIMD ${simd ? 'on' : 'off'}; tfjs-node not installed)`);
      return 'wasm';
    }
    throw new Error('No usable TensorFlow.js backend: neither tfjs-node nor the wasm backend loaded (cpu is refused)');
  })();
  ready.catch(() => {
    ready = undefined;
  });
  return ready;
}

/** The active backend (`tf.getBackend()`), checked: refuses to run on `cpu`. */
export function assertFastBackend(name: string): void {
  if (name !== 'wasm' && name !== 'tensorflow') {
    throw new Error(`TensorFlow.js is on the '${name}' backend; refusing to run models on it`);
  }
}
