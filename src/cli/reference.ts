// `npm run reference [-- --remove]`: the reference set (README, "The
// reference set"). Without arguments it loads it now (every photo missing,
// as the seed does after a first start), also after an earlier --remove.
// --remove deletes every reference photo (the seed's and any imported with
// --reference), undoes what they taught (their neighbours' transfers, and the
// image → word model trained again without them), and records that a later start must
// not load the set again (set REFERENCE_SET=none as well to say so in the
// configuration). Run it with the server stopped on the embedded store.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { REFERENCE_PHASE, referenceState } from '../../seeds/reference.js';
import { REFERENCE_MODEL_RECORD, retrainOnCaptioned } from '../../seeds/referenceModel.js';
import { wordModelOptions } from '../../seeds/wordModel.js';
import { removeReferencePhotos } from '../services/referencePhotos.js';
import { TransferService } from '../services/transferService.js';
import { withApp } from './boot.js';

const USAGE = `usage: npm run reference [-- --remove]
  (no argument)  load the reference set now (photos stored already are skipped)
  --remove       delete every reference photo and what it taught; later starts do not load the set again`;

let remove = false;
try {
  const { values } = parseArgs({ options: { remove: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  remove = values.remove ?? false;
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
}

// This command is the operator asking for the set: the configuration's default does not stop it.
const config = { ...loadConfig(), referenceSet: 'flickr8k' as const };

await withApp(async (app) => {
  const { referencePhotos, transfers, seedState, images } = app.repositories;
  if (remove) {
    const transfer = new TransferService(transfers, config.images.efSearch);
    const deleted = await removeReferencePhotos(referencePhotos, transfer, (count) => process.stderr.write(`reference: ${count} deleted\n`));
    await seedState.markDone(REFERENCE_PHASE, { removed: true, deleted, removedAt: new Date().toISOString() });
    // What they taught the image → word model too (seeds/referenceModel.ts).
    if ((await seedState.completed()).has(REFERENCE_MODEL_RECORD)) {
      await retrainOnCaptioned({ ...app, config }, wordModelOptions(config.wordSpace));
      await seedState.clear(REFERENCE_MODEL_RECORD);
    }
    await images.compact();
    process.stdout.write(`reference: ${deleted} reference photos deleted; tags and text search no longer use them. Later starts do not load the set again (npm run reference loads it).\n`);
    return;
  }
  if ((await referenceState(seedState)) === 'removed') await seedState.clear(REFERENCE_PHASE);
  await app.seed();
  process.stdout.write(`reference: ${await images.count(undefined, 'withReference') - (await images.count())} reference photos stored.\n`);
}, config);
