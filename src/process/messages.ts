// What a cluster primary and its workers tell each other over node:cluster's IPC
// channel. Every message carries a "certgate:" type, so prom-client's own messages
// (metrics aggregation) on the same channel pass by untouched.

/** Primary -> worker. */
export type ToWorker =
  /** Every worker listens: health may say SERVING. */
  | { readonly type: "certgate:serving" }
  /** Build the configuration as it is on disk now, keep it aside, say whether it loaded. */
  | { readonly type: "certgate:prepare"; readonly generation: number; readonly trigger: string }
  /** Every worker prepared: use what was prepared. */
  | { readonly type: "certgate:commit"; readonly generation: number; readonly trigger: string }
  /** A worker could not prepare: drop what was prepared, keep the configuration in use. */
  | { readonly type: "certgate:abort"; readonly generation: number }
  /** Drain and exit 0. */
  | { readonly type: "certgate:stop" };

/** Worker -> primary. */
export type FromWorker =
  | { readonly type: "certgate:listening"; readonly address: string; readonly forwardAuth: string | undefined; readonly health: string | undefined }
  /** The worker could not start: what serve would print, and its exit code. */
  | { readonly type: "certgate:failed"; readonly lines: string; readonly code: number }
  | { readonly type: "certgate:prepared"; readonly generation: number; readonly problems: readonly string[] }
  /** Someone sent the worker SIGHUP: the primary reloads everyone. */
  | { readonly type: "certgate:reload"; readonly trigger: string };

export function isCertgateMessage<T extends { readonly type: string }>(message: unknown): message is T {
  return typeof message === "object" && message !== null && String((message as { type?: unknown }).type).startsWith("certgate:");
}
