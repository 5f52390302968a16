import { parseBackendPreference, selectBackend, type BackendName } from '../../src/core/index.js';

/** Activates the backend the run asks for (`STREAMTUNE_BACKEND`), as the app would. */
export async function useTestBackend(): Promise<BackendName> {
  return (await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND))).backend;
}
