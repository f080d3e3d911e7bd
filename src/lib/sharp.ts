// sharp (libvips), loaded when an image is first decoded, hashed or resized:
// a restart answers its first questions without it (its native binding takes
// tens of milliseconds to load, on the start's critical path).
type Sharp = typeof import('sharp');

let loaded: Sharp | undefined;
let loading: Promise<Sharp> | undefined;

/** The sharp function, imported on first use. */
export async function loadSharp(): Promise<Sharp> {
  if (loaded) return loaded;
  loading ??= import('sharp').then((module) => (loaded = module.default as Sharp));
  return loading;
}
