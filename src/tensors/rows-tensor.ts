import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../core/index.js';

/**
 * A `[rows, dim]` float32 tensor from rows of numbers, packed into one
 * Float32Array first. `tf.tensor2d(arrayOfArrays)` walks the nested arrays to
 * infer and check the shape and then flattens them element by element; one
 * typed array of the known shape skips both. Measured on a 320×64 micro-batch
 * (`npm run -s bench:training`): see docs/benchmarks.md. `columns` picks and
 * orders the columns kept (a view of the features); all of them by default.
 * A row of another length is a `wrong_dimension` error naming the row.
 *
 * @example
 * rowsTensor([[1, 2], [3, 4]], 2); // Tensor2D [[1, 2], [3, 4]]
 * rowsTensor([[1, 2, 3]], 3, [2, 0]); // Tensor2D [[3, 1]]
 */
export function rowsTensor(rows: readonly (readonly number[])[], dim: number, columns?: readonly number[]): tf.Tensor2D {
  const width = columns ? columns.length : dim;
  const flat = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.length !== dim) throw new InvalidInputError('wrong_dimension', `x[${i}]`, `x[${i}] has ${r.length} values, the model expects ${dim}`);
    const at = i * width;
    if (columns) for (let j = 0; j < width; j++) flat[at + j] = r[columns[j]!]!;
    else for (let j = 0; j < width; j++) flat[at + j] = r[j]!;
  }
  return tf.tensor2d(flat, [rows.length, width]);
}
