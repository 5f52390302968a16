import { decodeBase64, decodeWav, downmix, logMelSpectrogram } from '../features/index.js';
import { renderVegaLite, type VegaLiteSpec } from '../ops/index.js';

/** Columns drawn at most: a long clip gets a longer hop, not a wider picture. */
const MAX_FRAMES = 160;
const MEL_BINS = 48;
const F_MIN = 20;

/** Band edges in Hz of the HTK mel filterbank logMelSpectrogram applies (melFilterbank's defaults: 20 Hz to Nyquist). */
function melEdges(melBins: number, fMax: number): number[] {
  const mel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
  const [lo, hi] = [mel(F_MIN), mel(fMax)];
  return Array.from({ length: melBins + 2 }, (_, i) => 700 * (10 ** ((lo + ((hi - lo) * i) / (melBins + 1)) / 2595) - 1));
}

/**
 * A spectrogram a labeller reads beside the audio player: the clip's log-mel
 * energies (the transform the model's features use, here at the clip's own
 * rate) as a heatmap with a time axis in seconds and a frequency axis in Hz on
 * the mel scale (symlog with constant 700 Hz is exactly mel), drawn with
 * Vega-Lite like the report's charts.
 *
 * @example
 * const png = await audioSpectrogramPng(event.input.audio); // PNG bytes
 */
export async function audioSpectrogramPng(audioBase64: string, opts: { width?: number; height?: number } = {}): Promise<Buffer> {
  const field = 'input.audio';
  const wav = decodeWav(decodeBase64(audioBase64, field, 'bad_audio'), field);
  const signal = downmix(wav.channels);
  const sampleRate = wav.sampleRate;
  const frameLength = 2 ** Math.round(Math.log2(sampleRate * 0.025));
  const frameStep = Math.max(frameLength / 2, Math.ceil((signal.length - frameLength) / (MAX_FRAMES - 1)));
  const frames = Math.max(1, Math.floor((signal.length - frameLength) / frameStep) + 1);
  const energies = logMelSpectrogram(signal, { sampleRate, frames, melBins: MEL_BINS, frameLength, frameStep });
  const edges = melEdges(MEL_BINS, sampleRate / 2);
  // Each band drawn from halfway to its lower neighbour's centre to halfway to its upper one's.
  const bandLo = (m: number): number => (edges[m]! + edges[m + 1]!) / 2;
  const values: { t0: number; t1: number; f0: number; f1: number; e: number }[] = [];
  for (let f = 0; f < frames; f++) {
    for (let m = 0; m < MEL_BINS; m++) {
      // Each cell reaches half into the next ones (drawn after it): anti-aliased edges leave no seams.
      values.push({ t0: (f * frameStep) / sampleRate, t1: ((f + 1.5) * frameStep) / sampleRate, f0: bandLo(m), f1: (bandLo(m + 1) + bandLo(Math.min(m + 2, MEL_BINS))) / 2, e: energies[f * MEL_BINS + m]! });
    }
  }
  const spec: VegaLiteSpec = {
    width: opts.width ?? 480,
    height: opts.height ?? 180,
    // No grid: it would show through the seams between cells.
    config: { view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, grid: false } },
    data: { values },
    mark: { type: 'rect', strokeWidth: 0, clip: true },
    encoding: {
      x: { field: 't0', type: 'quantitative', title: 'time (s)', scale: { domain: [0, (frames * frameStep) / sampleRate], nice: false } },
      x2: { field: 't1' },
      y: { field: 'f0', type: 'quantitative', title: 'frequency (Hz, mel scale)', scale: { type: 'symlog', constant: 700, domain: [edges[0]!, sampleRate / 2], nice: false }, axis: { values: [100, 500, 1000, 2000, 4000, 8000, 16000].filter((v) => v < sampleRate / 2), labelExpr: "datum.value >= 1000 ? datum.value / 1000 + 'k' : datum.value" } },
      y2: { field: 'f1' },
      color: { field: 'e', type: 'quantitative', scale: { scheme: 'magma' }, title: ['energy', '(log, relative)'], legend: { gradientLength: 140 } },
    },
  };
  return (await renderVegaLite(spec, { scale: 1.5 })).png;
}
