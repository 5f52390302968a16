import * as tf from '@tensorflow/tfjs';
import { ConfigError } from './streamtune-error.js';

/** tfjs backend names as registered: `tensorflow` is native TensorFlow through tfjs-node. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** What a user may ask for: `native` is an alias of `tensorflow`; `auto` picks per model. */
export type BackendPreference = 'auto' | 'native' | BackendName;

export interface BackendChoice {
  backend: BackendName;
  /** Backends tried before this one, with why each could not be used. */
  skipped: { backend: BackendName; reason: string }[];
}

const PREFERENCES: readonly BackendPreference[] = ['auto', 'native', 'tensorflow', 'wasm', 'cpu'];

/** Validates a backend preference, e.g. from `STREAMTUNE_BACKEND`. */
export function parseBackendPreference(value: string | undefined, key = 'backend'): BackendPreference {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (!PREFERENCES.includes(v as BackendPreference)) {
    throw new ConfigError(key, `"${value}" is not one of ${PREFERENCES.join(', ')}`);
  }
  return v as BackendPreference;
}

/**
 * Order in which backends are tried. Measured on 2 cores: a small CNN trains ~300×
 * faster on native TensorFlow than on the JS CPU backend and WASM has no Conv2D
 * gradients, while small dense models step ~3× faster on WASM than native (per-op
 * overhead dominates). So convolutional models go native first, dense ones WASM first.
 */
export function backendOrder(pref: BackendPreference, needs: { conv?: boolean } = {}): BackendName[] {
  if (pref === 'native' || pref === 'tensorflow') return ['tensorflow'];
  if (pref === 'wasm' || pref === 'cpu') return [pref];
  return needs.conv ? ['tensorflow', 'cpu'] : ['wasm', 'tensorflow', 'cpu'];
}

async function register(name: BackendName): Promise<void> {
  if (tf.findBackend(name)) return;
  if (name === 'tensorflow') {
    // Quiet TensorFlow's C++ start-up chatter unless the user asked for it.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    await import('@tensorflow/tfjs-node');
  } else if (name === 'wasm') {
    // Emscripten's Node glue installs uncaughtException/unhandledRejection handlers
    // that rethrow from inside the minified module (printing the whole bundle on a
    // crash). Remove them so errors surface as Node reports them.
    const before = { ue: process.listeners('uncaughtException'), ur: process.listeners('unhandledRejection') };
    await import('@tensorflow/tfjs-backend-wasm');
    for (const l of process.listeners('uncaughtException')) if (!before.ue.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.ur.includes(l)) process.removeListener('unhandledRejection', l);
  }
}

/**
 * Activates the first usable backend for the preference and returns it with the
 * reasons others were skipped. Throws when an explicitly requested backend fails,
 * since silently running 300× slower is worse than a clear error at start.
 *
 * @example
 * const { backend } = await selectBackend('auto', { conv: false }); // 'wasm' where it loads
 */
export async function selectBackend(pref: BackendPreference, needs: { conv?: boolean } = {}): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  for (const name of backendOrder(pref, needs)) {
    try {
      await register(name);
      if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
      await tf.ready();
      return { backend: name, skipped };
    } catch (err) {
      skipped.push({ backend: name, reason: (err as Error).message.split('\n')[0] ?? String(err) });
    }
  }
  const detail = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  const hint = pref === 'native' || pref === 'tensorflow' ? ' (run `npm run setup:native` to build the native binding)' : '';
  throw new ConfigError('backend', `no usable TensorFlow.js backend for "${pref}": ${detail}${hint}`);
}
