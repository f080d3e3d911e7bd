// The photos table compacted after a seed's bulk rewrites, and what it moved logged for operators.
import type { Logger } from '../src/logger.js';
import type { ImageRepository } from '../src/repositories/imageRepository.js';

/** Dead rows freed, live rows moved off the tail, statistics refreshed: each statement short (tailRows.ts). */
export async function compactPhotos(images: ImageRepository, logger: Logger): Promise<void> {
  const move = await images.compact();
  if (move.moved === 0) return;
  logger.info(
    `compact: ${move.moved} photo rows moved into the first ${move.livePages} pages, longest statement ${Math.round(move.longestMs)} ms (VACUUM ${Math.round(move.longestVacuumMs)} ms)`,
  );
}
