// The seed's long phases: one list for the three places that speak of them.
// The seed records each as done in the seed state, the warm-up reports its
// progress (/readyz `phases`, the metrics), and /readyz names the records a
// store still lacks (`missingPhases`). Background phases run once the four
// questions are ready and never hold readiness back.

interface SeedPhase {
  /**
   * The seed state row that records it done, as stores hold it. The word
   * index has no row of its own: the words' row is written once it is built.
   */
  record: string;
  /** For people: what the server is doing meanwhile. */
  what: string;
}

/** By their names in /readyz `phases` and the metrics, in the order they finish. */
export const SEED_PHASES = {
  words: { record: 'words', what: 'loading the words' },
  wordIndex: { record: 'words', what: 'building the word index' },
  images: { record: 'images', what: 'embedding the images' },
  projection: { record: 'image_projection', what: 'fitting the image projection' },
  model: { record: 'model', what: 'training the image → word model' },
  reference: { record: 'reference', what: 'learning from the reference set' },
} as const satisfies Record<string, SeedPhase>;

export type WarmupPhase = keyof typeof SEED_PHASES;
export const WARMUP_PHASES = Object.keys(SEED_PHASES) as WarmupPhase[];

/** After readiness: answers improve while they run (the reference set teaches tags and text search). */
export const BACKGROUND_PHASES: readonly WarmupPhase[] = ['reference'];
/** The phases the four questions wait for. */
export const READINESS_PHASES = WARMUP_PHASES.filter((phase) => !BACKGROUND_PHASES.includes(phase));

/** The seed state rows that record `phases` done, each once, in phase order. */
export const recordsOf = (phases: readonly WarmupPhase[]): string[] => [
  ...new Set(phases.map((phase) => SEED_PHASES[phase].record)),
];

/** Every seed state row a ready store has. */
export const REQUIRED_PHASES: readonly string[] = recordsOf(READINESS_PHASES);
