/**
 * Mean cross-entropy loss and expected calibration error (ECE) of logits, accumulated batch by batch.
 *
 * ECE (Guo et al. 2017, "On Calibration of Modern Neural Networks"): 15 equal-width bins of the
 * confidence (the largest softmax probability) over (0, 1]; ECE = Σ_b (n_b / N) · |acc_b − conf_b|,
 * acc_b the share of the bin's images whose argmax is the label. Softmax in float64 after subtracting
 * the max logit. An image with a non-finite logit has no probability vector: it is counted in
 * `nonFinite` and left out of both (the eval record says how many; nonFinite > 0 warns).
 */
export const ECE_BINS = 15;

export class Calibration {
  private lossSum = 0;
  private n = 0;
  nonFinite = 0;
  private readonly count = new Float64Array(ECE_BINS);
  private readonly confSum = new Float64Array(ECE_BINS);
  private readonly correct = new Float64Array(ECE_BINS);

  /** `logits` [n, k] row-major, `labels` in [0, k). */
  add(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number): void {
    for (let i = 0; i < labels.length; i++) {
      const o = i * k;
      let max = -Infinity;
      let arg = 0;
      let finite = true;
      for (let j = 0; j < k; j++) {
        const v = logits[o + j];
        if (!Number.isFinite(v)) finite = false;
        else if (v > max) (max = v), (arg = j);
      }
      if (!finite) {
        this.nonFinite++;
        continue;
      }
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(logits[o + j] - max);
      const logZ = Math.log(z) + max;
      this.lossSum += logZ - logits[o + labels[i]];
      const conf = 1 / z; // exp(max − max) / z
      const b = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(conf * ECE_BINS) - 1));
      this.count[b]++;
      this.confSum[b] += conf;
      if (arg === labels[i]) this.correct[b]++;
      this.n++;
    }
  }

  /** null when no image had finite logits. */
  result(): { loss: number; ece: number } | null {
    if (this.n === 0) return null;
    let ece = 0;
    for (let b = 0; b < ECE_BINS; b++) if (this.count[b] > 0) ece += Math.abs(this.correct[b] - this.confSum[b]) / this.n;
    return { loss: this.lossSum / this.n, ece };
  }
}
