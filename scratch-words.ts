import { createApp } from './src/app.js';
import { loadConfig } from './src/config.js';
import { createLogger } from './src/logger.js';
import { trainProjector, projectToWords, TUTORIAL_OPTIONS, type ProjectorOptions } from './src/embedding/projector.js';
import { targetDistribution } from './src/embedding/trainingTargets.js';
import { l2Normalize } from './src/embedding/text.js';
import { splitItems } from './src/eval/split.js';
import { scoreWordSpace, OPEN_VOCABULARY_QUERIES } from './src/eval/wordSpace.js';
import { categoryWords } from './src/embedding/captions.js';

const app = await createApp(loadConfig(), createLogger('warn'));
const rows = await app.repositories.wordSpace.trainingImages();
const searched = await app.repositories.images.findEmbeddings(rows.map((r) => r.id));
const { train, heldOut } = splitItems(rows.map((r, i) => ({ ...r, name: r.id, searched: searched[i]! })));
const vocab = await app.repositories.tags.all();
const index = new Map(vocab.map((w, i) => [w.text, i]));
const vocabulary = vocab.map((w) => l2Normalize(w.vector));
const classWords = [...new Set(rows.flatMap((r) => categoryWords(r.category)))];
const vectors = await app.repositories.words.findVectors([...classWords, ...OPEN_VOCABULARY_QUERIES]);
const unitVocab = vocab.map((w) => ({ text: w.text, vector: l2Normalize(w.vector) }));
const ADAM = { optimizer: 'adam', learningRate: 0.001 } as const;
const base: ProjectorOptions = { ...TUTORIAL_OPTIONS, ...ADAM, loss: 'vocabulary', temperature: 0.05 };
const variants: [string, ProjectorOptions, 'features' | 'searched', number][] = JSON.parse(process.argv[2]!);
for (const [name, over, input, classWeight] of variants) {
  const options = { ...base, ...over };
  const started = Date.now();
  const x = (r: (typeof train)[number]) => (input === 'features' ? r.features : r.searched);
  const model = await trainProjector({
    train: { features: train.map(x), targets: train.map((r) => targetDistribution(r, index, classWeight)) },
    options, vocabulary,
  });
  const projected = projectToWords(model, heldOut.map(x));
  const s = scoreWordSpace(heldOut.map((r, i) => ({ category: r.category, captions: r.captions, vector: projected[i]! })), unitVocab, vectors);
  console.log(`${name.padEnd(40)} tags ${s.tags.top1.toFixed(3)}/${s.tags.top5.toFixed(3)} text ${s.classQueriesMean.toFixed(3)} open ${s.openVocabularyMean.toFixed(3)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  model.dispose();
}
await app.close();
