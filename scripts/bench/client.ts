// Benchmark load generator process, with pre-encoded request bytes (no protobuf work per
// call, so the client stays light), over one or more connections. Closed loop: keeps
// IN_FLIGHT unary calls outstanding. Open loop (`rate`): sends on a fixed schedule
// whatever the answers do, and measures each latency from when the call was due, not
// from when it went out, so a stalled server is not hidden (no coordinated omission).
// Counts answers in the measurement window and reports latencies as JSON.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { MeasuredWindow } from "./client-report.ts";

interface Job {
  address: string;
  path: string;
  /** Length-prefixed request messages, used round-robin... */
  payloads?: string;
  /** ...or DER certificates combined into distinct ValidateRequests (leaf_i, intermediate, leaf_j). */
  combos?: { leaves: string; intermediate: string; offset: number };
  inFlight: number;
  /** Connections to spread the calls over (default 1). */
  connections?: number;
  /** Open loop: calls per second this client sends on schedule (inFlight is then ignored). */
  rate?: number;
  startAt: number;
  warmupMs: number;
  durationMs: number;
}

const job = JSON.parse(process.argv[2]!) as Job;

function readFramed(file: string): Buffer[] {
  const bytes = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32BE(at);
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/** Protobuf wire form of a length-delimited field. */
function field(number: number, value: Buffer): Buffer {
  const header = [(number << 3) | 2];
  let length = value.length;
  const varint: number[] = [];
  do {
    varint.push((length & 0x7f) | (length > 0x7f ? 0x80 : 0));
    length >>>= 7;
  } while (length > 0);
  return Buffer.concat([Buffer.from(header), Buffer.from(varint), value]);
}

function requestSource(): () => Buffer {
  if (job.payloads !== undefined) {
    const payloads = readFramed(job.payloads);
    let next = 0;
    return () => payloads[next++ % payloads.length]!;
  }
  const leaves = readFramed(job.combos!.leaves);
  const intermediate = field(2, readFileSync(job.combos!.intermediate));
  const context = field(3, Buffer.from("/api/users"));
  let n = job.combos!.offset;
  // Every call a chain never seen before: leaf i, the intermediate, and an unrelated extra j.
  return () => {
    const i = n % leaves.length;
    const j = Math.floor(n / leaves.length) % leaves.length;
    n++;
    return Buffer.concat([field(2, leaves[i]!), intermediate, field(2, leaves[j]!), context]);
  };
}

const next = requestSource();
const clients = Array.from(
  { length: job.connections ?? 1 },
  () => new grpc.Client(job.address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }),
);
let turn = 0;
/** One call on the next connection in turn. */
const send = (request: Buffer, done: (error: grpc.ServiceError | null) => void) =>
  clients[turn++ % clients.length]!.makeUnaryRequest(job.path, identity, identity, request, done);
const identity = (bytes: Buffer) => bytes;
// Open loop: room for more latencies, as it sends many more calls per window than a closed loop.
const measured = new MeasuredWindow(job, job.rate === undefined ? 200_000 : 500_000);
let stopped = false;

function call(): void {
  if (stopped) return;
  const started = performance.now();
  send(next(), (error) => {
    measured.answer(!error, performance.now() - started);
    if (measured.over()) stopped = true;
    call();
  });
}

/** Call i is due at start + i / rate; each tick sends every call that has come due. */
function openLoop(rate: number): void {
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    for (; start + (sent * 1000) / rate <= now; sent++) {
      const due = start + (sent * 1000) / rate;
      send(next(), (error) => measured.answer(!error, performance.now() - due));
    }
    setTimeout(tick, 1);
  };
  tick();
}

setTimeout(
  () => {
    if (job.rate !== undefined) openLoop(job.rate);
    else for (let i = 0; i < job.inFlight; i++) call();
  },
  Math.max(0, job.startAt - Date.now()),
);

measured.reportWhenOver(() => {
  stopped = true;
  for (const each of clients) each.close();
});
