// Benchmark load generator process: keeps IN_FLIGHT unary calls outstanding with
// pre-encoded request bytes (no protobuf work per call, so the client stays light),
// counts answers in the measurement window and reports latencies as JSON.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

interface Job {
  address: string;
  path: string;
  /** Length-prefixed request messages, used round-robin... */
  payloads?: string;
  /** ...or DER certificates combined into distinct ValidateRequests (leaf_i, intermediate, leaf_j). */
  combos?: { leaves: string; intermediate: string; offset: number };
  inFlight: number;
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
const client = new grpc.Client(job.address, grpc.credentials.createInsecure());
const identity = (bytes: Buffer) => bytes;
const windowStart = job.startAt + job.warmupMs;
const windowEnd = windowStart + job.durationMs;
const latencies: number[] = [];
let count = 0;
let errors = 0;
let stopped = false;

function call(): void {
  if (stopped) return;
  const started = performance.now();
  client.makeUnaryRequest(job.path, identity, identity, next(), (error) => {
    const now = Date.now();
    if (now >= windowStart && now <= windowEnd) {
      if (error) errors++;
      else {
        count++;
        if (latencies.length < 200_000) latencies.push(performance.now() - started);
      }
    }
    if (now > windowEnd) stopped = true;
    call();
  });
}

setTimeout(
  () => {
    for (let i = 0; i < job.inFlight; i++) call();
  },
  Math.max(0, job.startAt - Date.now()),
);

setTimeout(
  () => {
    stopped = true;
    client.close();
    latencies.sort((a, b) => a - b);
    // An evenly spaced sample of the sorted latencies, so the driver can merge clients.
    const size = Math.min(latencies.length, 2000);
    const sample = Array.from({ length: size }, (_, k) => latencies[Math.floor((k * latencies.length) / size)]!);
    process.stdout.write(JSON.stringify({ count, errors, sample }) + "\n");
    process.exit(0);
  },
  windowEnd - Date.now() + 200,
);
