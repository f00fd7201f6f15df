// The cluster primary's workers: started together (whole or not at all), told when to
// serve, reloaded in two phases, restarted with backoff when one dies (logged and
// counted: capacity is never lost silently), drained together on stop.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { isCertgateMessage, type FromWorker, type ToWorker } from "./messages.ts";

/** A worker that lived this long before dying starts its backoff afresh. */
const STABLE_MS = 10_000;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 30_000;

interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  /** Where this worker's messages go: the start's handler, then the supervisor's. */
  onMessage: (message: FromWorker) => void;
  listening: boolean;
  startedAt: number;
  /** Deaths in a row, each within STABLE_MS of its start. */
  failures: number;
}

export type Started =
  | { readonly ok: true; readonly address: { readonly address: string; readonly forwardAuth: string | undefined } }
  | { readonly ok: false; readonly lines: string; readonly code: number };

export interface SupervisorHooks {
  onListening(count: number): void;
  onRestart(): void;
}

export class Supervisor {
  readonly #slots: Slot[];
  readonly #logger: Logger;
  readonly #hooks: SupervisorHooks;
  #serving = false;
  #stopping = false;
  #onReload: (trigger: string) => void = () => undefined;
  /** Answers to the reload being prepared, by worker id (a worker that dies meanwhile answers nothing: it restarts on the files as they are). */
  #prepared: ((id: number, problems: readonly string[]) => void) | undefined;

  constructor(count: number, logger: Logger, hooks: SupervisorHooks) {
    this.#slots = Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      worker: undefined,
      onMessage: () => undefined,
      listening: false,
      startedAt: 0,
      failures: 0,
    }));
    this.#logger = logger;
    this.#hooks = hooks;
  }

  #send(slot: Slot, message: ToWorker): void {
    if (slot.worker?.isConnected()) slot.worker.send(message);
  }

  #listening(): Slot[] {
    return this.#slots.filter((slot) => slot.listening);
  }

  #fork(slot: Slot, onMessage: (message: FromWorker) => void): Worker {
    const worker = cluster.fork({ CERTGATE_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    slot.listening = false;
    slot.startedAt = Date.now();
    slot.onMessage = onMessage;
    // A message to a worker that is exiting (EPIPE) is not news: its exit is handled.
    worker.on("error", (error) => this.#logger.debug({ worker: slot.id, err: error }, "worker channel error"));
    // Only certgate's own: the worker object's other listeners (cluster's, prom-client's aggregation) stay.
    worker.on("message", (message: unknown) => {
      if (isCertgateMessage<FromWorker>(message)) slot.onMessage(message);
    });
    return worker;
  }

  /** Every worker, listening; or the first failure, with the others stopped. */
  async start(): Promise<Started> {
    const outcome = await new Promise<Started>((resolve) => {
      let address: { address: string; forwardAuth: string | undefined } | undefined;
      for (const slot of this.#slots) {
        const worker = this.#fork(slot, (message) => {
          if (message.type === "certgate:failed") resolve({ ok: false, lines: message.lines, code: message.code });
          if (message.type !== "certgate:listening") return;
          slot.listening = true;
          address ??= { address: message.address, forwardAuth: message.forwardAuth };
          if (this.#listening().length === this.#slots.length) resolve({ ok: true, address });
        });
        worker.once("exit", (code) => {
          if (!slot.listening) resolve({ ok: false, lines: `certgate: worker ${slot.id} exited (${code}) before it listened\n`, code: code === 2 ? 2 : 1 });
        });
      }
    });
    if (!outcome.ok) {
      await this.stop(5000);
      return outcome;
    }
    for (const slot of this.#slots) this.#supervise(slot);
    this.#hooks.onListening(this.#listening().length);
    return outcome;
  }

  /** From now on, every listening worker (and each restarted one, once it listens) says SERVING. */
  serve(): void {
    this.#serving = true;
    for (const slot of this.#listening()) this.#send(slot, { type: "certgate:serving" });
  }

  onReloadRequest(handler: (trigger: string) => void): void {
    this.#onReload = handler;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === "certgate:listening") {
      slot.listening = true;
      this.#hooks.onListening(this.#listening().length);
      if (this.#serving) this.#send(slot, { type: "certgate:serving" });
      this.#logger.info({ worker: slot.id }, `worker ${slot.id} listening again`);
    } else if (message.type === "certgate:prepared") this.#prepared?.(slot.id, message.problems);
    else if (message.type === "certgate:reload") this.#onReload(message.trigger);
    else this.#logger.error({ worker: slot.id }, message.lines.trim());
  }

  #supervise(slot: Slot): void {
    const worker = slot.worker!;
    slot.onMessage = (message) => this.#onMessage(slot, message);
    worker.once("exit", (code, signal) => this.#died(slot, worker, code, signal));
  }

  #died(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.#stopping || slot.worker !== worker) return;
    slot.listening = false;
    slot.worker = undefined;
    this.#hooks.onListening(this.#listening().length);
    this.#prepared?.(slot.id, []);
    slot.failures = Date.now() - slot.startedAt < STABLE_MS ? slot.failures + 1 : 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** slot.failures);
    this.#hooks.onRestart();
    this.#logger.error(
      { worker: slot.id, code, signal, restartInMs: delay, listening: this.#listening().length },
      `worker ${slot.id} exited (${signal ?? code}); restarting it in ${delay} ms`,
    );
    setTimeout(() => {
      if (this.#stopping) return;
      this.#fork(slot, (message) => this.#onMessage(slot, message));
      slot.worker!.once("exit", (exitCode, exitSignal) => this.#died(slot, slot.worker!, exitCode, exitSignal));
    }, delay).unref();
  }

  /**
   * Every listening worker builds the configuration now on disk; if all can, all use it,
   * otherwise none does. The problems (deduplicated), or none when it was committed.
   */
  async prepare(generation: number, trigger: string, timeoutMs: number): Promise<readonly string[]> {
    const asked = this.#listening();
    const answers = new Map<number, readonly string[]>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#prepared = (id, problems) => {
        answers.set(id, problems);
        if (asked.every((slot) => answers.has(slot.id))) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const slot of asked) this.#send(slot, { type: "certgate:prepare", generation, trigger });
      if (asked.length === 0) resolve();
    });
    this.#prepared = undefined;
    const problems = asked.flatMap((slot) => answers.get(slot.id) ?? [`worker ${slot.id} did not answer the reload within ${timeoutMs / 1000} s`]);
    for (const slot of asked)
      this.#send(slot, problems.length === 0 ? { type: "certgate:commit", generation, trigger } : { type: "certgate:abort", generation });
    return [...new Set(problems)];
  }

  /** Every worker drains and exits; those still there after `graceMs` are killed. */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    const alive = this.#slots.flatMap((slot) => (slot.worker === undefined || slot.worker.isDead() ? [] : [slot.worker]));
    const exits = alive.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once("exit", () => resolve()))));
    for (const worker of alive) if (worker.isConnected()) worker.send({ type: "certgate:stop" } satisfies ToWorker);
    const timer = setTimeout(() => alive.forEach((worker) => worker.process.kill("SIGKILL")), graceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}
