import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { createHttpServer, InvalidInputError, listenError, type TlsFiles } from '../core/index.js';
import { ensureTopics, EventProducer, isStructured, labelTarget, type Label, type StructuredLabel } from '../ingest/index.js';
import { answerEvent } from './answer-event.js';
import { audioSpectrogramPng } from './audio-spectrogram.js';
import { featureImagePng } from './feature-image.js';
import { inputView } from './input-view.js';
import type { LabelRequest } from './label-request.js';
import { LabellingQueue, type LabellingQueueOptions } from './labelling-queue.js';
import { LABELLING_HEADERS, LABELLING_PAGE } from './labelling-page.js';
import { LabellingSessions } from './labelling-sessions.js';
import { OriginGuard } from './origin-guard.js';

export interface LabellingServerOptions extends LabellingQueueOptions {
  /** Topic the labels go to (the trainer's labels topic). */
  labelsTopic: string;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** The login token; empty or absent: a random one, in {@link LabellingServer.loginUrl}. @defaultValue '' */
  token?: string;
  /** HTTPS with these files (needed off loopback unless plaintext is allowed: see `labelling` in the config). */
  tls?: TlsFiles;
  /** Origins the page is also reached at, e.g. through a reverse proxy (`https://label.example.com`). @defaultValue [] */
  origins?: readonly string[];
  /**
   * `[rows, cols]` of the feature vectors (e.g. `[8, 8]` for the digits): a
   * vector of that length is drawn as a greyscale image, any other as a table.
   */
  featureShape?: readonly [number, number];
}

/** Counts shown by the live view. `agreed` counts labels equal to the model's guess. */
export interface LabellingStats {
  labelled: number;
  skipped: number;
  pending: number;
  agreed: number;
  /** The model's accuracy on the items humans labelled (agreed / labelled), null before the first. */
  accuracy: number | null;
}

/** Bodies are small: an answer carries the label, not the input (a mask's run lengths are the largest). */
const MAX_BODY_BYTES = 100_000;

/** Spectrograms kept for the items on screen (each takes ~0.3 s to draw). */
const MAX_CACHED_VIEWS = 64;

/**
 * The labelling web page and its small JSON API over node:http (no build step):
 * `GET /` the page, `GET /api/next?labeller=ID` the labeller's item and how to
 * show it ({@link inputView}), `GET /api/items/ID/spectrogram.png` and
 * `/features.png` the pictures of audio and shaped feature inputs,
 * `POST /api/label {id, label}` produces a label event with the request's id,
 * model and input (a class, or a structured label checked by {@link answerEvent}:
 * a bad one is a 400 naming the field and goes nowhere), `POST /api/skip {id}`, `GET /api/stats` the live counts.
 * The API needs a session: `POST /api/login {token}` sets its cookie
 * ({@link LabellingSessions}), `POST /api/logout` ends it. Requests from other
 * sites are refused ({@link OriginGuard}); every answer carries the page's CSP
 * and anti-framing headers.
 *
 * @example
 * const s = new LabellingServer(kafka, { topic: 'streamtune.label-requests', groupId: 'streamtune-labellers', labelsTopic: 'streamtune.labels', port: 8080 });
 * await s.start(); // open s.url
 */
export class LabellingServer {
  private readonly queue: LabellingQueue;
  private readonly producer: EventProducer;
  private readonly server: http.Server;
  private readonly token: string;
  /** True when no token was given and a random one was made for this run (only then may {@link loginUrl} be printed). */
  readonly tokenGenerated: boolean;
  private sessions: LabellingSessions | undefined;
  private guard: OriginGuard | undefined;
  private readonly stats = { labelled: 0, skipped: 0, agreed: 0 };
  private readonly spectrograms = new Map<string, Promise<Buffer>>();
  private closing: Promise<void> | undefined;
  url = '';

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: LabellingServerOptions,
  ) {
    this.queue = new LabellingQueue(kafka, opts);
    this.producer = new EventProducer(kafka, opts.labelsTopic);
    this.tokenGenerated = !opts.token;
    this.token = opts.token || LabellingSessions.randomToken();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      for (const [k, v] of Object.entries(LABELLING_HEADERS)) res.setHeader(k, v);
      // Status codes are chosen here, at the edge, from the error's class.
      this.route(req, res).catch((err: Error) => send(res, statusOf(err), { error: err.message, ...(err instanceof InvalidInputError ? { field: err.field } : {}) }));
    };
    this.server = createHttpServer(handler, { tls: opts.tls, tlsSection: 'labelling.tls' });
  }

  /**
   * The page with the login token in its fragment (which browsers never send to
   * a server): opening it logs in. Empty before `start`. Print it only when the
   * token was generated here ({@link LabellingServer.tokenGenerated}).
   */
  get loginUrl(): string {
    return this.url ? `${this.url}#token=${this.token}` : '';
  }

  async start(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => reject(listenError('labelling.port', `${host}:${this.opts.port ?? 0}`, err));
      this.server.once('error', failed);
      this.server.listen(this.opts.port ?? 0, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    this.guard = new OriginGuard({ port: a.port, tls: !!this.opts.tls, origins: this.opts.origins });
    // Browsers send a host's cookies to all its ports: the port in the name keeps two labelling servers' sessions apart.
    this.sessions = new LabellingSessions({ token: this.token, cookieName: `streamtune_label_${a.port}`, secure: !!this.opts.tls });
    this.url = `${this.opts.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
    // Bound first, so a port that is taken is said before the consumer group is joined; until the queue runs, the page shows no item.
    try {
      // The page may start before the server has published anything (or been started).
      await ensureTopics(this.kafka, [{ topic: this.opts.topic }, { topic: this.opts.labelsTopic }]);
      await this.queue.start();
    } catch (err) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      throw err;
    }
  }

  /** Partitions of the requests topic this server consumes (0 until its group has joined). */
  get assignedPartitions(): number {
    return this.queue.assigned;
  }

  current(): LabellingStats {
    const { labelled, skipped, agreed } = this.stats;
    return { labelled, skipped, agreed, pending: this.queue.pending, accuracy: labelled > 0 ? agreed / labelled : null };
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { guard, sessions } = this;
    if (!guard || !sessions) return send(res, 503, { error: 'starting' });
    const refusal = guard.refusal(req);
    if (refusal) {
      req.resume();
      return send(res, 403, { error: refusal });
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(LABELLING_PAGE);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/login') {
      const cookie = sessions.login(((await readJson(req)) as { token?: unknown }).token);
      if (!cookie) return send(res, 401, { error: 'wrong login token' });
      res.setHeader('set-cookie', cookie);
      return send(res, 200, { ok: true });
    }
    if (req.method === 'POST' && url.pathname === '/api/logout') {
      req.resume();
      res.setHeader('set-cookie', sessions.logout(req.headers.cookie));
      return send(res, 200, { ok: true });
    }
    if (!sessions.valid(req.headers.cookie)) {
      req.resume();
      return send(res, 401, { error: 'log in first: open the login URL `streamtune label` printed, or POST /api/login {"token": …}' });
    }
    if (req.method === 'GET' && url.pathname === '/api/next') {
      const item = this.queue.next(url.searchParams.get('labeller') || 'anonymous');
      send(res, 200, { item, view: item ? inputView(item, this.opts.featureShape) : null });
      return;
    }
    const picture = /^\/api\/items\/([^/]+)\/(spectrogram|features)\.png$/.exec(url.pathname);
    if (req.method === 'GET' && picture) {
      const id = decodeURIComponent(picture[1]!);
      const item = this.queue.peek(id);
      if (!item) return send(res, 404, { error: `no pending request "${id}"` });
      const view = inputView(item, this.opts.featureShape);
      let png: Buffer;
      if (picture[2] === 'spectrogram' && view.kind === 'audio') png = await this.spectrogram(item);
      else if (picture[2] === 'features' && view.kind === 'feature-image') png = featureImagePng((item.input as { features: number[] }).features, view.shape);
      else return send(res, 404, { error: `request "${id}" has no ${picture[2]} picture (its input is shown as ${view.kind})` });
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=300' });
      res.end(png);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/stats') {
      send(res, 200, this.current());
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/api/label' || url.pathname === '/api/skip')) {
      // A JSON body needs a CORS preflight from another origin, which this server never grants.
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        req.resume();
        return send(res, 415, { error: 'Content-Type must be application/json' });
      }
      const body = (await readJson(req)) as { id?: unknown; label?: unknown };
      if (typeof body.id !== 'string') return send(res, 400, { error: 'body needs "id"' });
      const item = this.queue.peek(body.id);
      if (!item) return send(res, 404, { error: `no pending request "${body.id}" (already labelled or skipped)` });
      if (url.pathname === '/api/skip') {
        if (this.queue.take(body.id)) this.stats.skipped++;
        this.spectrograms.delete(body.id);
        return send(res, 200, { ok: true });
      }
      // Checked before it is taken: a bad answer leaves the item with its labeller, to correct.
      const event = answerEvent(item, body.label, Date.now());
      // Taken before the send so a second click cannot label it twice; put back if the send fails.
      if (!this.queue.take(body.id)) return send(res, 404, { error: `request "${body.id}" was just labelled by someone else` });
      try {
        await this.producer.send([event]);
      } catch (err) {
        this.queue.restore(item);
        throw err;
      }
      this.spectrograms.delete(item.id);
      this.stats.labelled++;
      if (agrees(item, event.label)) this.stats.agreed++;
      return send(res, 200, { ok: true });
    }
    send(res, 404, { error: 'not found' });
  }

  /** The item's spectrogram, drawn once while it is pending (the page and a reload share it). */
  private spectrogram(item: LabelRequest): Promise<Buffer> {
    let png = this.spectrograms.get(item.id);
    if (!png) {
      png = audioSpectrogramPng((item.input as { audio: string }).audio);
      // A failed drawing is not cached: the error answers this request only.
      png.catch(() => this.spectrograms.delete(item.id));
      this.spectrograms.set(item.id, png);
      for (const old of this.spectrograms.keys()) if (this.spectrograms.size > MAX_CACHED_VIEWS) this.spectrograms.delete(old);
    }
    return png;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      // Browsers keep connections alive; they would hold close() open.
      this.server.closeAllConnections();
      await closed;
      await this.queue.close().catch(() => undefined);
      await this.producer.close().catch(() => undefined);
    })();
    return this.closing;
  }
}

/** The answer is the model's: its guessed class, or its structured proposal unchanged. */
function agrees(item: LabelRequest, label: Label): boolean {
  const proposal = item.structured?.proposal;
  if (!item.structured) return label === item.predicted;
  return proposal !== undefined && isStructured(label) && labelTarget(label) === labelTarget(proposal as StructuredLabel);
}

function statusOf(err: Error): number {
  if (err instanceof InvalidInputError) return err.reason === 'too_large' ? 413 : 400;
  return 500;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InvalidInputError('too_large', 'body', 'body too large', { limitBytes: MAX_BODY_BYTES });
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    return {};
  }
}
