// The current image projection, kept between uses. Another process (a seed,
// another server) may fit a new one: each use checks the stored version (one
// small query beside a 60 ms model run) and reloads the fit only when it changed.
import type { ImageProjection } from '../embedding/index.js';
import type { ImageProjectionRepository } from '../repositories/imageProjectionRepository.js';

export class ImageProjectionCache {
  /** undefined: not read yet; null: none is fitted (images are searched by their features). */
  private cached: ImageProjection | null | undefined;

  constructor(private readonly projections: ImageProjectionRepository) {}

  async current(): Promise<ImageProjection | null> {
    const version = await this.projections.currentVersion();
    if (this.cached === undefined || (this.cached?.version ?? null) !== version) {
      this.cached = await this.projections.current();
    }
    return this.cached;
  }
}
