// A pino destination that keeps every JSON log line, parsed, for a test to read.
import { Writable } from "node:stream";

export function logSink(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}
