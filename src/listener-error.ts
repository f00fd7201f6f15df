// A listener that could not be opened, named for the operator: which listener, the
// config key that sets it, the address, and the cause in a few words (the system
// error code read, not a stack trace).

const CAUSES: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use (another process listens there)",
  EACCES: "permission denied (a port below 1024 needs privileges, or the socket's folder is not writable)",
  EADDRNOTAVAIL: "address not available on this host",
  ENOENT: "the socket's folder does not exist",
  ENOTFOUND: "host name not found",
};

/** The cause of a bind failure in words, from the error code Node or grpc-js carry in the message. */
export function bindCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = Object.keys(CAUSES).find((candidate) => message.includes(candidate) || (error as NodeJS.ErrnoException)?.code === candidate);
  return code === undefined ? message : CAUSES[code]!;
}

export class ListenerError extends Error {
  readonly listener: string;
  readonly key: string;
  readonly address: string;

  constructor(listener: string, key: string, address: string, error: unknown) {
    super(`cannot listen on ${address} for ${listener} (${key}): ${bindCause(error)}`);
    this.name = "ListenerError";
    this.listener = listener;
    this.key = key;
    this.address = address;
  }
}
