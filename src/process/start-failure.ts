// What a person reads when certgate cannot start: plain lines on stderr (the JSON log
// line stays for pipelines), and the exit code: 2 for a configuration it cannot use,
// 1 for a listener it cannot open.
import { ConfigError } from "../config/config.ts";
import { ListenerError } from "../listener-error.ts";

export function startFailure(error: unknown): { readonly lines: string; readonly code: number } | undefined {
  if (error instanceof ConfigError) return { lines: `certgate: ${error.message}\n`, code: 2 };
  if (error instanceof ListenerError) return { lines: `certgate: ${error.message}\n`, code: 1 };
  return undefined;
}
