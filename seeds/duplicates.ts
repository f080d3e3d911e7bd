// Seed phase `duplicates`: the perceptual hashes and duplicate pairs of photos
// stored before migration 013 (new photos get both as they are stored). Each
// batch's hashes and pairs are written together, so an interrupted run
// resumes where it stopped; a store with every photo hashed does nothing.
import { ImageDecodeError, perceptualHashes } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { Repositories } from '../src/repositories/index.js';

/** Photos read (with their bytes) and hashed at once. */
const BATCH = 50;

/** Returns how many photos were hashed. */
export async function seedDuplicates(repositories: Pick<Repositories, 'duplicates'>, logger: Logger): Promise<number> {
  let hashed = 0;
  for (let after = ''; ; ) {
    const rows = await repositories.duplicates.unhashed(after, BATCH);
    if (rows.length === 0) break;
    const done = await Promise.all(
      rows.map(async ({ id, bytes }) => {
        try {
          return { id, hashes: await perceptualHashes(bytes) };
        } catch (err) {
          // Stored bytes the decoder refuses now cannot have copies found: left unhashed, and said.
          if (!(err instanceof ImageDecodeError)) throw err;
          logger.warn(`duplicates: photo ${id} is not hashed: ${err.message}`);
          return null;
        }
      }),
    );
    await repositories.duplicates.setHashes(done.filter((row) => row !== null));
    hashed += rows.length;
    after = rows.at(-1)!.id;
  }
  if (hashed > 0) logger.info(`duplicates: ${hashed} photos stored before perceptual hashes hashed and compared`);
  return hashed;
}
