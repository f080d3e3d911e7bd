// The trained word model as a service to the rest of the app: loaded lazily
// from its folder, reloaded after training, and a clear error while it does
// not exist yet. TensorFlow.js comes with the model's first load.
import type * as tfl from '@tensorflow/tfjs-layers';
import { initTfBackend } from './tfBackend.js';
import { wordModelExists } from './wordModelSpec.js';

type WordModelCode = typeof import('./wordModel.js');

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
  let model: Promise<{ loaded: tfl.LayersModel; code: WordModelCode }> | undefined;
  const load = () => {
    if (!wordModelExists(dir)) {
      throw new ModelNotTrainedError('the image → word model is not trained yet (run `npm run train` or `npm run seed`)');
    }
    model ??= initTfBackend().then(async () => {
      const code = await import('./wordModel.js');
      return { loaded: (await code.loadWordModel(dir)).model, code };
    });
    model.catch(() => (model = undefined));
    return model;
  };
  return {
    async project(features) {
      const { loaded, code } = await load();
      return code.projectToWords(loaded, [...features]);
    },
    exists: () => wordModelExists(dir),
    reload() {
      void model?.then(({ loaded }) => loaded.dispose()).catch(() => undefined);
      model = undefined;
    },
  };
}
