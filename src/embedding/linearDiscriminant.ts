// Linear discriminant analysis, for a projection learned on the training
// split: directions that separate the categories relative to the spread
// within each category. Sw is shrunk towards a multiple of the identity
// (`shrinkage` × mean variance), which matters with 800 images in 768 dims.

export interface Projection {
  mean: Float64Array;
  /** dims × outDims, row-major. */
  weights: Float64Array;
  dims: number;
  outDims: number;
}

/** Lower-triangular L with A = L·Lᵀ (A symmetric positive definite, n×n row-major). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(sum) : sum / l[j * n + j]!;
    }
  }
  return l;
}

/** Eigenvalues and eigenvectors (columns) of a small symmetric matrix, by Jacobi rotations. */
export function symmetricEigen(input: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** Solves L·X = B (L lower-triangular n×n; B n×m) or, transposed, Lᵀ·X = B. */
function solveTriangular(l: Float64Array, b: Float64Array, n: number, m: number, transposed: boolean): Float64Array {
  const x = Float64Array.from(b);
  for (let col = 0; col < m; col++) {
    if (!transposed) {
      for (let i = 0; i < n; i++) {
        let sum = x[i * m + col]!;
        for (let k = 0; k < i; k++) sum -= l[i * n + k]! * x[k * m + col]!;
        x[i * m + col] = sum / l[i * n + i]!;
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        let sum = x[i * m + col]!;
        for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k * m + col]!;
        x[i * m + col] = sum / l[i * n + i]!;
      }
    }
  }
  return x;
}

/** Fits LDA on labelled vectors: at most (categories − 1) output dimensions. */
export function fitLda(vectors: readonly Float32Array[], labels: readonly string[], shrinkage: number): Projection {
  const dims = vectors[0]!.length;
  const mean = new Float64Array(dims);
  for (const v of vectors) for (let i = 0; i < dims; i++) mean[i]! += v[i]! / vectors.length;
  const categories = [...new Set(labels)].sort();
  const sw = new Float64Array(dims * dims);
  // Between-class scatter Sb = B·Bᵀ with a column √n_c·(m_c − m) per category.
  const b = new Float64Array(dims * categories.length);
  categories.forEach((category, c) => {
    const members = vectors.filter((_, i) => labels[i] === category);
    const centre = new Float64Array(dims);
    for (const v of members) for (let i = 0; i < dims; i++) centre[i]! += (v[i]! - mean[i]!) / members.length;
    for (let i = 0; i < dims; i++) b[i * categories.length + c] = Math.sqrt(members.length) * centre[i]!;
    const d = new Float64Array(dims);
    for (const v of members) {
      for (let i = 0; i < dims; i++) d[i] = v[i]! - mean[i]! - centre[i]!;
      for (let i = 0; i < dims; i++) {
        const di = d[i]!;
        if (di === 0) continue;
        for (let j = 0; j <= i; j++) sw[i * dims + j]! += di * d[j]!;
      }
    }
  });
  let trace = 0;
  for (let i = 0; i < dims; i++) trace += sw[i * dims + i]!;
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j < i; j++) sw[j * dims + i] = sw[i * dims + j]!;
    sw[i * dims + i]! += (shrinkage * trace) / dims;
  }
  // Whiten by Sw = L·Lᵀ; the discriminant directions are then the top
  // eigenvectors of (L⁻¹B)(L⁻¹B)ᵀ, found through the small Gram matrix.
  const l = cholesky(sw, dims);
  const k = categories.length;
  const lb = solveTriangular(l, b, dims, k, false);
  const gram = new Float64Array(k * k);
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let sum = 0;
      for (let i = 0; i < dims; i++) sum += lb[i * k + p]! * lb[i * k + q]!;
      gram[p * k + q] = sum;
    }
  }
  const { values, vectors: eig } = symmetricEigen(gram, k);
  const order = values.map((value, index) => ({ value, index })).sort((x, y) => y.value - x.value);
  const outDims = k - 1;
  const u = new Float64Array(dims * outDims);
  for (let o = 0; o < outDims; o++) {
    const { value, index } = order[o]!;
    for (let i = 0; i < dims; i++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += lb[i * k + p]! * eig[p * k + index]!;
      u[i * outDims + o] = sum / Math.sqrt(Math.max(value, 1e-12));
    }
  }
  return { mean, weights: solveTriangular(l, u, dims, outDims, true), dims, outDims };
}

export function project(projection: Projection, vector: Float32Array): Float32Array {
  const { mean, weights, dims, outDims } = projection;
  const out = new Float32Array(outDims);
  for (let i = 0; i < dims; i++) {
    const x = vector[i]! - mean[i]!;
    for (let o = 0; o < outDims; o++) out[o]! += x * weights[i * outDims + o]!;
  }
  return out;
}
