// MobileNet v1 0.75 224 (TF.js Layers model) from a folder on disk, cut at a
// feature layer. Loaded through an in-memory IO handler over model.json and
// its weight shards (concatenated in manifest order), so no file:// handler
// or network is involved.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tfCore from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MOBILENET_FEATURE_LAYER, MOBILENET_INPUT_SIZE, MOBILENET_LOGITS_LAYER } from './imageModelSpec.js';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tfCore.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

export async function readModelArtifacts(modelDir: string): Promise<tfCore.io.ModelArtifacts> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`cannot read the MobileNet model at ${modelDir}/model.json: ${(err as Error).message}`);
  }
  const shards: Buffer[] = [];
  const weightSpecs: tfCore.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const shard of group.paths) shards.push(await readFile(path.join(modelDir, shard)));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format };
}

/** The classifier's kernel as a [768, 1000] matrix: column c is ImageNet class c's direction. */
export function classifierKernel(model: tfl.LayersModel): tfCore.Tensor2D {
  const kernel = model.getLayer(MOBILENET_LOGITS_LAYER).getWeights()[0]!;
  const [, , inputs, classes] = kernel.shape as [number, number, number, number];
  return tfCore.reshape(kernel, [inputs, classes]);
}

/** Images per model call: bounds tensor memory, keeps wasm busy. */
export const PREDICT_BATCH = 16;

/**
 * Runs a feature model cut at [features, logits] on preprocessed inputs
 * (MOBILENET_INPUT_SIZE² × 3 floats each), PREDICT_BATCH at a time; `combine`
 * turns a batch's two outputs into one row per input (inside tf.tidy).
 */
export function predictRows(
  model: tfl.LayersModel,
  inputs: readonly Float32Array[],
  combine: (pooled: tfCore.Tensor2D, logits: tfCore.Tensor2D) => tfCore.Tensor2D,
): Float32Array[] {
  const size = MOBILENET_INPUT_SIZE;
  const rows: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += PREDICT_BATCH) {
    const chunk = inputs.slice(start, start + PREDICT_BATCH);
    const flat = new Float32Array(chunk.length * size * size * 3);
    chunk.forEach((input, i) => flat.set(input, i * input.length));
    const output = tfCore.tidy(() => {
      const [pooled, logits] = model.predict(tfCore.tensor4d(flat, [chunk.length, size, size, 3])) as tfCore.Tensor[];
      const flatten = (t: tfCore.Tensor) => tfCore.reshape(t, [chunk.length, -1]) as tfCore.Tensor2D;
      return combine(flatten(pooled!), flatten(logits!));
    });
    const width = output.shape[1];
    const data = output.dataSync() as Float32Array;
    output.dispose();
    for (let i = 0; i < chunk.length; i++) rows.push(data.slice(i * width, (i + 1) * width));
  }
  return rows;
}

/** The model truncated to output the named layers (in order). */
export async function loadFeatureModel(
  modelDir: string,
  outputLayers: readonly string[] = [MOBILENET_FEATURE_LAYER],
): Promise<tfl.LayersModel> {
  const artifacts = await readModelArtifacts(modelDir);
  const full = await tfl.loadLayersModel({ load: async () => artifacts });
  const outputs = outputLayers.map((name) => full.getLayer(name).output as tfl.SymbolicTensor);
  return tfl.model({ inputs: full.inputs, outputs: outputs.length === 1 ? outputs[0]! : outputs });
}
