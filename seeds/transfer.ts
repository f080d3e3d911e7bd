// Seed phase `transfer`: every photo's caption vector and transferred caption
// vector (migrations/008), and the tag words it keeps from them (016). Runs after the image projection (neighbours are
// found by the projected vectors) and recomputes everything when the
// projection or the transfer's parameters changed; otherwise it only finishes
// photos left stale (an interrupted refresh).
import { captionWordList, transferVersion } from '../src/embedding/index.js';
import { createProgress } from '../src/lib/progress.js';
import type { Logger } from '../src/logger.js';
import type { Repositories } from '../src/repositories/index.js';
import { TransferService } from '../src/services/transferService.js';

export const TRANSFER_PHASE = 'transfer';
/**
 * Photos per statement. The phase runs after the store is ready: on the
 * embedded store's one connection, each statement makes questions wait, so
 * each stays short (tens of milliseconds).
 */
const PAGE = 25;

/** Every captioned photo's caption words again (stores from before the transfer, or another word rule). */
async function storeCaptionWords(transfers: Repositories['transfers']): Promise<void> {
  for (let after = ''; ; ) {
    const rows = await transfers.captionsAfter(after, PAGE);
    if (rows.length === 0) return;
    await transfers.setCaptionWords(
      rows.map((row) => row.id),
      rows.map((row) => captionWordList(row.captions)),
    );
    after = rows.at(-1)!.id;
  }
}

export async function seedTransfer(
  repositories: Pick<Repositories, 'transfers' | 'projections' | 'seedState'>,
  efSearch: number,
  logger: Logger,
): Promise<number> {
  const version = `${transferVersion()}/${(await repositories.projections.currentVersion()) ?? 'features'}`;
  const previous = (await repositories.seedState.completed()).get(TRANSFER_PHASE);
  if (previous?.version !== version) {
    await storeCaptionWords(repositories.transfers);
    for (let after: string | undefined = ''; after !== undefined; ) after = await repositories.transfers.resetPageAfter(after, PAGE);
  }
  const stale = await repositories.transfers.countStale();
  let done = 0;
  if (stale > 0) {
    logger.info(`caption transfer: ${stale} photos from their nearest captioned photos`);
    const progress = createProgress('caption transfer', stale, 'images');
    done = await new TransferService(repositories.transfers, efSearch).refresh((count) => progress.tick(count));
    progress.finish();
  }
  // Tag words the refresh did not write: a store from before migrations/016, or a new tag vocabulary.
  let filled = 0;
  for (let count; (count = await repositories.transfers.fillMissingTagWords(PAGE)) > 0; ) filled += count;
  if (filled > 0) logger.info(`caption transfer: tag words of ${filled} photos`);
  if (previous?.version !== version) await repositories.seedState.markDone(TRANSFER_PHASE, { version });
  return done;
}
