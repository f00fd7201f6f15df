// Reloads run one at a time, in order, with at most one waiting: a burst of signals or
// file changes during a long reload (a 1M-entry CRL) ends in one more reload on the
// newest files, not one per event.
export class ReloadQueue {
  #running: Promise<boolean> = Promise.resolve(true);
  #queued: Promise<boolean> | undefined;

  /** Runs `reload` after the one in progress; a call while one is already waiting joins that one. */
  run(reload: () => Promise<boolean>): Promise<boolean> {
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#running.then(() => {
      this.#queued = undefined;
      return reload();
    });
    this.#queued = queued;
    this.#running = queued;
    return queued;
  }
}
