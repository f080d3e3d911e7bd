// Which words count as the same word when a caption is checked against a tag
// or a query: the word itself, its plural and its verb forms (dog/dogs,
// ski/skis/skiing, sit/sat, man/men). Generated forward from a base word, so
// no dictionary is needed; used only to score, never to answer queries.

const IRREGULAR_FORMS: Record<string, readonly string[]> = {
  man: ['men'], woman: ['women'], child: ['children'], foot: ['feet'], tooth: ['teeth'], mouse: ['mice'],
  goose: ['geese'], knife: ['knives'], leaf: ['leaves'], shelf: ['shelves'], wife: ['wives'], loaf: ['loaves'],
  run: ['ran'], sit: ['sat'], ride: ['rode', 'ridden'], eat: ['ate', 'eaten'], fly: ['flew', 'flown'],
  stand: ['stood'], hold: ['held'], lie: ['lay', 'lying'], swim: ['swam', 'swum'], drive: ['drove', 'driven'],
  throw: ['threw', 'thrown'], take: ['took', 'taken'], wear: ['wore', 'worn'], sleep: ['slept'],
  catch: ['caught'], hang: ['hung'], fall: ['fell', 'fallen'], make: ['made'], go: ['went', 'gone'],
  see: ['saw', 'seen'], get: ['got', 'gotten'], lead: ['led'], feed: ['fed'], grow: ['grew', 'grown'],
  dig: ['dug'], swing: ['swung'], break: ['broke', 'broken'], give: ['gave', 'given'],
};

const cache = new Map<string, ReadonlySet<string>>();

/** The word, its plural and its verb forms ("-s", "-es", "-ies", "-ed", "-ing", doubled consonants, irregulars). */
export function inflections(word: string): ReadonlySet<string> {
  const cached = cache.get(word);
  if (cached) return cached;
  const forms = new Set([word, `${word}s`]);
  if (/(?:s|x|z|ch|sh|o)$/.test(word)) forms.add(`${word}es`);
  if (/[^aeiou]y$/.test(word) && word.length > 2) forms.add(`${word.slice(0, -1)}ies`).add(`${word.slice(0, -1)}ied`);
  if (word.endsWith('e')) forms.add(`${word}d`).add(`${word.slice(0, -1)}ing`);
  else forms.add(`${word}ed`).add(`${word}ing`);
  // One syllable ending consonant-vowel-consonant doubles it: sit → sitting, run → running.
  if ((word.match(/[aeiou]+/g) ?? []).length === 1 && /[^aeiou][aeiou][bdgklmnprtvz]$/.test(word)) {
    const last = word.at(-1)!;
    forms.add(`${word}${last}ing`).add(`${word}${last}ed`);
  }
  if (word.endsWith('fe')) forms.add(`${word.slice(0, -2)}ves`);
  else if (word.endsWith('f')) forms.add(`${word.slice(0, -1)}ves`);
  for (const form of IRREGULAR_FORMS[word] ?? []) forms.add(form);
  cache.set(word, forms);
  return forms;
}

/** Is one word a form of the other (either way round)? */
export function sameWord(a: string, b: string): boolean {
  return a === b || inflections(a).has(b) || inflections(b).has(a);
}

/** Does any of `words` occur, in any form, among `captionWords`? */
export function mentions(captionWords: ReadonlySet<string>, words: readonly string[]): boolean {
  for (const word of words) {
    if (captionWords.has(word)) return true;
    for (const form of inflections(word)) if (captionWords.has(form)) return true;
    for (const captionWord of captionWords) if (inflections(captionWord).has(word)) return true;
  }
  return false;
}
