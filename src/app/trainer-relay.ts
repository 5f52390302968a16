import type { Config, Logger } from '../core/index.js';
import type { Metrics } from '../ops/index.js';
import type { TrainerStats } from '../training/trainer-stats.js';
import { freshnessSamples } from './freshness-stages.js';
import { countTrainer } from './trainer-metrics.js';
import type { OperatorLog } from './operator-log.js';
import type { ServedModels } from './served-models.js';
import type { TrainerProcess } from './trainer-process.js';

export interface TrainerRelayDeps {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  operatorLog: OperatorLog;
  models: ServedModels;
  onStats(stats: TrainerStats): void;
}

/**
 * Relays one trainer process's messages to the serving side: stats to metrics
 * ({@link countTrainer}) and the operator log, new versions to a hot-swap (or a counted rejection),
 * rollbacks to the model's version control, log lines and errors to the logger.
 *
 * @example
 * supervisor.on('spawned', (trainer) => relayTrainer(trainer, { config, metrics, logger, operatorLog, models, onStats }));
 */
export function relayTrainer(trainer: TrainerProcess, d: TrainerRelayDeps): void {
  const { config, metrics, logger, operatorLog, models } = d;
  countTrainer(trainer, metrics, config);
  trainer.on('stats', (m) => {
    operatorLog.stats(m.stats, models.fleet.has(m.stats.model) ? (models.fleet.get(m.stats.model).holder.version ?? '') : '');
    d.onStats(m.stats);
  });
  trainer.on('version', (m) => {
    const samples = freshnessSamples(m, Date.now());
    const model = m.meta.model;
    if (!models.wants(model)) return;
    void models.addModel(model, { waitForVersion: true }).then(async (served) => {
      if (!served) return;
      if (m.meta.promotion?.promoted === false) {
        const p = m.meta.promotion;
        if (!p.reason.startsWith('serving version rolled back')) metrics.guardrailRejections.inc({ model });
        logger.warn(`${model}@${m.meta.version} not promoted (${p.mode}: candidate ${p.candidate.toFixed(3)} vs serving ${p.serving.toFixed(3)}): ${p.reason}`, {
          event: 'rejection',
          model,
          version: m.meta.version,
        });
        served.control.noteRejected(m.meta);
        return;
      }
      await models.swapNewest(served, m.meta.version, samples);
    });
  });
  trainer.on('rollback', (m) => {
    const model = m.model ?? config.model;
    if (!models.fleet.has(model)) return;
    metrics.rollbacks.inc({ model, trigger: 'guardrail' });
    logger.warn(`rolling back ${model} from ${m.from} to ${m.to}: ${m.reason}`, { event: 'rollback_requested', model, version: m.to, previous: m.from });
    models.fleet
      .get(model)
      .control.rollback(m.reason, m.to)
      .catch((err: unknown) => logger.error(`rollback failed: ${(err as Error).message}`, { event: 'rollback_failed', model }));
  });
  trainer.on('log', (m) => (m.level === 'warn' ? logger.warn(`trainer: ${m.line}`) : logger.fn(`trainer: ${m.line}`)));
  // A trainer that fails before it consumes is reported by the supervisor, once per kind of failure.
  trainer.on('error-message', (message) => {
    if (trainer.ready) logger.error(`trainer error: ${message}`, { event: 'trainer_error', model: config.model });
  });
}
