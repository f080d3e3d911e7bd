// Keeps every photo's transferred caption vector and word votes (what text
// search reads besides the model) current: after a write marked the photos it changes
// stale, they are recomputed from their nearest captioned photos before the
// write answers, so the next query sees them. The seed's transfer phase runs
// the same refresh over every photo.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRANSFER, transferredVector, transferredWordVotes } from '../embedding/index.js';
import type { TransferRepository } from '../repositories/transferRepository.js';

/**
 * Photos recomputed per transaction: the embedded store answers nothing else
 * meanwhile (one connection), so a transaction stays short (tens of ms) and
 * questions asked during a long refresh (the seed's, after readiness) are
 * answered between two.
 */
const REFRESH_BATCH = 8;

/**
 * A stale photo whose row another transaction holds (a refresh elsewhere, the
 * compaction moving rows, another write) is skipped; it is tried again after
 * this long, up to LOCKED_RETRIES times (1 s). Without it a caption written
 * while the compaction ran left photos stale until the next start.
 */
const LOCKED_RETRY_MS = 20;
const LOCKED_RETRIES = 50;

export class TransferService {
  constructor(
    private readonly transfers: TransferRepository,
    private readonly efSearch: number,
  ) {}

  /** Recomputes every stale photo; returns how many. `onBatch` reports progress. */
  async refresh(onBatch?: (done: number) => void): Promise<number> {
    let done = 0;
    for (let retries = 0; ; ) {
      const count = await this.transfers.refreshStale(REFRESH_BATCH, TRANSFER.neighbours, this.efSearch, (neighbours) => ({
        ...transferredVector(neighbours, TRANSFER),
        votes: transferredWordVotes(neighbours, TRANSFER),
      }));
      if (count > 0) {
        done += count;
        onBatch?.(count);
        continue;
      }
      // None free to take: done, unless stale photos remain in rows another transaction holds.
      if (retries++ >= LOCKED_RETRIES || (await this.transfers.countStale()) === 0) return done;
      await sleep(LOCKED_RETRY_MS);
    }
  }
}
