// Benchmark load generator for HTTP/1.1, as a proxy's connection pool talks to a
// forward-auth service: IN_FLIGHT keep-alive connections, one request outstanding on
// each (no pipelining), the request bytes built once. Responses are read just far
// enough to find their end, so the client stays light. Reports like client.ts.
import { connect, type Socket } from "node:net";
import { MeasuredWindow } from "./client-report.ts";

interface Job {
  address: string;
  /** The whole request (request line, headers, blank line), sent as is. */
  request: string;
  inFlight: number;
  startAt: number;
  warmupMs: number;
  durationMs: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const request = Buffer.from(job.request, "latin1");
const at = job.address.lastIndexOf(":");
const measured = new MeasuredWindow(job);
let stopped = false;

const HEAD_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;
const STATUS_200 = Buffer.from("HTTP/1.1 200 ");

/** One keep-alive connection sending the request again as soon as the previous answer is complete. */
function connection(): void {
  let buffered: Buffer = Buffer.alloc(0);
  let started = 0;
  const socket: Socket = connect(Number(job.address.slice(at + 1)), job.address.slice(0, at), () => send());
  socket.setNoDelay(true);
  const send = () => {
    if (stopped) return void socket.destroy();
    started = performance.now();
    socket.write(request);
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      const head = buffered.indexOf(HEAD_END);
      if (head < 0) return;
      const length = Number(CONTENT_LENGTH.exec(buffered.toString("latin1", 0, head + 2))?.[1] ?? 0);
      const end = head + 4 + length;
      if (buffered.length < end) return;
      const ok = buffered.subarray(0, STATUS_200.length).equals(STATUS_200);
      buffered = buffered.subarray(end);
      measured.answer(ok, performance.now() - started);
      if (measured.over()) stopped = true;
      send();
    }
  });
  socket.on("error", () => {
    if (!stopped) measured.error();
  });
  socket.on("close", () => {
    if (!stopped) setTimeout(connection, 10);
  });
}

setTimeout(
  () => {
    for (let i = 0; i < job.inFlight; i++) connection();
  },
  Math.max(0, job.startAt - Date.now()),
);

measured.reportWhenOver(() => {
  stopped = true;
});
