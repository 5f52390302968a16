import * as tf from '@tensorflow/tfjs';
import { melFilterbank } from './mel-filterbank.js';

/** The model's audio input: a log-mel spectrogram of `frames` × `melBins` at `sampleRate`. */
export interface AudioShape {
  sampleRate: number;
  frames: number;
  melBins: number;
  /** Samples per STFT window. @defaultValue the power of two nearest 25 ms */
  frameLength?: number;
  /** Samples between windows. @defaultValue frameLength / 2 */
  frameStep?: number;
}

/** Window and hop with defaults filled in. */
export function stftParams(shape: AudioShape): { frameLength: number; frameStep: number; samples: number } {
  const frameLength = shape.frameLength ?? 2 ** Math.round(Math.log2(shape.sampleRate * 0.025));
  const frameStep = shape.frameStep ?? frameLength / 2;
  return { frameLength, frameStep, samples: frameLength + (shape.frames - 1) * frameStep };
}

/** True when the active backend can run `tf.signal.stft` (native and CPU can, WASM cannot). */
export const hasFftKernels = (): boolean => tf.getKernel('FFT', tf.getBackend()) !== undefined && tf.getKernel('Complex', tf.getBackend()) !== undefined;

/**
 * Whether to use `tf.signal.stft`. Measured on 2 cores for 1 s of 16 kHz audio
 * (64 frames × 32 mel bins): native TensorFlow ~5 ms either way; the CPU backend
 * ~600 ms with tf.signal.stft (its FFT builds tensors at every recursion level)
 * against ~6 ms in JS; WASM has no FFT kernels at all. So tf only on native.
 */
const preferTfStft = (): boolean => tf.getBackend() === 'tensorflow' && hasFftKernels();

const filterbanks = new Map<string, Float32Array>();

function hann(n: number): Float32Array {
  // Periodic Hann, as tf.signal.hannWindow builds it.
  return Float32Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/** Power spectrum of one windowed frame by an iterative radix-2 FFT (length must be a power of two). */
function powerSpectrum(frame: Float32Array): Float32Array {
  const n = frame.length;
  const re = Float64Array.from(frame);
  const im = new Float64Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) [re[i], re[j]] = [re[j]!, re[i]!];
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
      }
    }
  }
  return Float32Array.from({ length: n / 2 + 1 }, (_, k) => re[k]! ** 2 + im[k]! ** 2);
}

/** STFT power spectra `[frames, bins]` in plain JS, for backends without FFT kernels (WASM). */
function jsStftPower(signal: Float32Array, frameLength: number, frameStep: number, frames: number): Float32Array {
  const w = hann(frameLength);
  const bins = frameLength / 2 + 1;
  const out = new Float32Array(frames * bins);
  const frame = new Float32Array(frameLength);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < frameLength; i++) frame[i] = signal[f * frameStep + i]! * w[i]!;
    out.set(powerSpectrum(frame), f * bins);
  }
  return out;
}

/**
 * Log-mel spectrogram of a mono signal already at `shape.sampleRate`, padded with
 * silence or cut to exactly `shape.frames` frames, standardised per clip (zero
 * mean, unit variance) so loudness does not dominate. Returns `frames × melBins`
 * values, row-major. Uses `tf.signal.stft` on native TensorFlow and the same
 * transform in JS elsewhere (faster on CPU, the only way on WASM), so every backend featurizes.
 *
 * @example
 * logMelSpectrogram(samples, { sampleRate: 8000, frames: 32, melBins: 16 }); // 512 values
 */
export function logMelSpectrogram(signal: Float32Array, shape: AudioShape, opts: { useTf?: boolean } = {}): number[] {
  const { frameLength, frameStep, samples } = stftParams(shape);
  const x = new Float32Array(samples);
  x.set(signal.subarray(0, samples));
  const key = `${shape.melBins}/${frameLength}/${shape.sampleRate}`;
  let fb = filterbanks.get(key);
  if (!fb) filterbanks.set(key, (fb = melFilterbank(shape.melBins, frameLength, shape.sampleRate)));
  const bins = frameLength / 2 + 1;
  const useTf = opts.useTf ?? preferTfStft();
  const power = useTf
    ? tf.tidy(() => {
        const spec = tf.signal.stft(tf.tensor1d(x), frameLength, frameStep, frameLength);
        const mag = tf.abs(spec);
        return mag.square().slice([0, 0], [shape.frames, bins]);
      })
    : tf.tensor2d(jsStftPower(x, frameLength, frameStep, shape.frames), [shape.frames, bins]);
  const logMel = tf.tidy(() => {
    const mel = tf.matMul(power, tf.tensor2d(fb, [bins, shape.melBins]));
    const l = tf.log(tf.add(mel, 1e-6));
    const { mean, variance } = tf.moments(l);
    return tf.div(tf.sub(l, mean), tf.sqrt(tf.add(variance, 1e-6)));
  });
  power.dispose();
  const out = Array.from(logMel.dataSync());
  logMel.dispose();
  return out;
}
