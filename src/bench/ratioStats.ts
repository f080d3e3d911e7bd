// Ratios of paired rounds (this / against): their median and a bootstrap
// confidence interval of that median, resampling whole rounds.
import { seededRandom } from '../lib/seededRandom.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface RatioSummary {
  median: number;
  /** The 95% bootstrap interval of the median. */
  ci95: [number, number];
  /** Half the interval's width, relative to the median (0.05: ±5%). */
  halfWidth: number;
  rounds: number;
}

export function summarizeRatios(ratios: readonly number[], resamples = 2_000): RatioSummary {
  const finite = ratios.filter(Number.isFinite);
  // Seeded: the same rounds give the same interval.
  const next = seededRandom(finite.length * 7919 + 17);
  const medians: number[] = [];
  for (let i = 0; i < resamples && finite.length > 0; i++) {
    medians.push(median(Array.from(finite, () => finite[Math.floor(next() * finite.length)]!)));
  }
  medians.sort((a, b) => a - b);
  const at = (share: number) => medians[Math.min(medians.length - 1, Math.floor(share * medians.length))] ?? Number.NaN;
  const center = median(finite);
  const ci95: [number, number] = [at(0.025), at(0.975)];
  return { median: center, ci95, halfWidth: (ci95[1] - ci95[0]) / 2 / center, rounds: finite.length };
}

/** `median [low, high] (±half-width%)`, as the reports print a ratio. */
export function formatRatio(ratio: RatioSummary): string {
  return `${ratio.median.toFixed(3)} [${ratio.ci95[0].toFixed(3)}, ${ratio.ci95[1].toFixed(3)}] (±${(100 * ratio.halfWidth).toFixed(1)}%)`;
}
