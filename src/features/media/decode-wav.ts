import { InvalidInputError } from '../../core/index.js';

/** Decoded audio: the sample rate and one Float32Array per channel, values in [-1, 1]. */
export interface WavAudio {
  sampleRate: number;
  channels: Float32Array[];
}

/** Longest clip accepted, in seconds: bounds decode time and memory per event. */
export const MAX_AUDIO_SECONDS = 60;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parses a RIFF/WAVE file: PCM 8/16/24/32-bit or IEEE float 32/64-bit, any
 * channel count up to 8, sample rates 4–192 kHz. Throws {@link InvalidInputError}
 * with reason `bad_audio` (not a WAV, truncated, unsupported encoding) or
 * `too_large` (over {@link MAX_AUDIO_SECONDS}), naming `field`.
 *
 * @example
 * const { sampleRate, channels } = decodeWav(bytes, 'input.audio');
 */
export function decodeWav(b: Buffer, field: string): WavAudio {
  const bad = (why: string): InvalidInputError => new InvalidInputError('bad_audio', field, `${field} is not a usable WAV: ${why}`);
  if (b.length === 0) throw new InvalidInputError('bad_audio', field, `${field} is empty`);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw bad('no RIFF/WAVE header');
  let fmt: { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  let data: Buffer | undefined;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) throw bad('truncated fmt chunk');
      let format = b.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first 2 bytes of its sub-format GUID.
      if (format === FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= b.length) format = b.readUInt16LE(body + 24);
      fmt = { format, channels: b.readUInt16LE(body + 2), sampleRate: b.readUInt32LE(body + 4), blockAlign: b.readUInt16LE(body + 12), bits: b.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      // A streaming writer may leave the size unset (0 or 0xFFFFFFFF): take the rest of the file.
      const end = size === 0 || size === 0xffffffff ? b.length : body + size;
      if (end > b.length) throw bad(`data chunk says ${size} bytes, only ${b.length - body} present (truncated)`);
      data = b.subarray(body, end);
      break;
    }
    off = body + size + (size % 2);
  }
  if (!fmt) throw bad('no fmt chunk');
  if (!data) throw bad('no data chunk');
  const { format, channels: nch, sampleRate, bits } = fmt;
  if (nch < 1 || nch > 8) throw bad(`${nch} channels (1 to 8 supported)`);
  if (sampleRate < 4000 || sampleRate > 192_000) throw bad(`sample rate ${sampleRate} Hz (4000 to 192000 supported)`);
  const pcm = format === FORMAT_PCM && [8, 16, 24, 32].includes(bits);
  const float = format === FORMAT_FLOAT && (bits === 32 || bits === 64);
  if (!pcm && !float) throw bad(`encoding ${format === FORMAT_PCM ? 'PCM' : format === FORMAT_FLOAT ? 'float' : `format ${format}`} with ${bits} bits is not supported`);
  const bytesPer = bits / 8;
  const frames = Math.floor(data.length / (bytesPer * nch));
  if (frames === 0) throw bad('no samples');
  if (frames / sampleRate > MAX_AUDIO_SECONDS) {
    throw new InvalidInputError('too_large', field, `${field} is ${(frames / sampleRate).toFixed(1)} s long, over the limit of ${MAX_AUDIO_SECONDS} s`);
  }
  const read = (o: number): number => {
    if (float) return bits === 32 ? data.readFloatLE(o) : data.readDoubleLE(o);
    if (bits === 8) return (data[o]! - 128) / 128;
    if (bits === 16) return data.readInt16LE(o) / 32768;
    if (bits === 24) return data.readIntLE(o, 3) / 8388608;
    return data.readInt32LE(o) / 2147483648;
  };
  const channels = Array.from({ length: nch }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++) channels[c]![i] = read((i * nch + c) * bytesPer);
  return { sampleRate, channels };
}

/** Averages all channels into one. */
export function downmix(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const out = new Float32Array(channels[0]!.length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / channels.length;
  return out;
}

/**
 * Resamples by linear interpolation. When downsampling, each output sample first
 * averages the input samples it spans (a box filter), which keeps most aliasing
 * of high tones out of the low bands without a full polyphase filter.
 */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return x;
  const n = Math.max(1, Math.round((x.length * to) / from));
  const ratio = from / to;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const pos = i * ratio;
    if (ratio > 1) {
      const a = Math.floor(pos);
      const e = Math.min(x.length, Math.max(a + 1, Math.floor(pos + ratio)));
      let s = 0;
      for (let j = a; j < e; j++) s += x[j]!;
      out[i] = s / (e - a);
    } else {
      const a = Math.min(x.length - 1, Math.floor(pos));
      const b = Math.min(x.length - 1, a + 1);
      out[i] = x[a]! + (x[b]! - x[a]!) * (pos - a);
    }
  }
  return out;
}
