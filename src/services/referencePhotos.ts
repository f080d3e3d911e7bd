// Removing the reference photos (`npm run reference -- --remove`): every one
// deleted a page at a time, in short transactions (a running server's
// questions are answered between them), then the transfers they taught
// refreshed, so tags and text search are as they were without them.
import type { ReferencePhotoRepository } from '../repositories/referencePhotoRepository.js';
import type { TransferService } from './transferService.js';

/** Reference photos deleted per transaction. */
const PAGE = 200;

/** Returns how many were deleted; `onPage` reports the count so far. */
export async function removeReferencePhotos(
  referencePhotos: ReferencePhotoRepository,
  transfer: TransferService,
  onPage?: (deleted: number) => void,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const ids = await referencePhotos.idsAfter('', PAGE);
    if (ids.length === 0) break;
    deleted += await referencePhotos.delete(ids);
    onPage?.(deleted);
  }
  await transfer.refresh();
  return deleted;
}
