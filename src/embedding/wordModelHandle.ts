// The trained word model as a service to the rest of the app: loaded lazily
// from its folder, reloaded after training, and a clear error while it does
// not exist yet.
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadWordModel, wordModelExists, projectToWords } from './wordModel.js';
import { initTfBackend } from './tfBackend.js';

/** The image → word model has not been trained (or saved) yet. */
export class ModelNotTrainedError extends Error {
  override name = 'ModelNotTrainedError';
}

export interface WordModelHandle {
  /** L2-normalised word-space vectors, one per input feature vector. */
  project(features: readonly Float32Array[]): Promise<Float32Array[]>;
  exists(): boolean;
  /** Forgets the loaded model, so the next call reads the folder again (after training). */
  reload(): void;
}

export function createWordModelHandle(dir: string): WordModelHandle {
  let model: Promise<tfl.LayersModel> | undefined;
  const load = () => {
    if (!wordModelExists(dir)) {
      throw new ModelNotTrainedError('the image → word model is not trained yet (run `npm run train` or `npm run seed`)');
    }
    model ??= initTfBackend().then(async () => (await loadWordModel(dir)).model);
    model.catch(() => (model = undefined));
    return model;
  };
  return {
    async project(features) {
      const loaded = await load();
      return projectToWords(loaded, [...features]);
    },
    exists: () => wordModelExists(dir),
    reload() {
      void model?.then((m) => m.dispose()).catch(() => undefined);
      model = undefined;
    },
  };
}
