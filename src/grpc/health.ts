// grpc.health.v1.Health (Check, Watch, List) on the served descriptor set. The
// grpc-health-check package parses its own copy of health.proto into a second
// protobuf root when imported (a few MB of every server's memory); the service
// itself is a status map and its watchers.
import * as grpc from "@grpc/grpc-js";

export type ServingStatus = "SERVING" | "NOT_SERVING";

/** More services than this are not listed (as grpc-health-check and grpc-go bound List). */
const MAX_LISTED = 100;

interface HealthCheckRequest {
  service?: string;
}

export class Health {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: Readonly<Record<string, ServingStatus>>) {
    for (const [service, status] of Object.entries(initial)) this.#statuses.set(service, status);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.#statuses.set(service, status);
    for (const watcher of this.#watchers.get(service) ?? []) watcher(status);
  }

  status(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** The handlers for `server.addService(<grpc.health.v1.Health definition>, ...)`. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const service = call.request.service ?? "";
        const status = this.#statuses.get(service);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `Health status unknown for service ${service}` });
        else callback(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest, unknown>) => {
        const service = call.request.service ?? "";
        const watcher = (status: ServingStatus) => call.write({ status });
        const watchers = this.#watchers.get(service) ?? new Set();
        watchers.add(watcher);
        this.#watchers.set(service, watchers);
        call.on("cancelled", () => watchers.delete(watcher));
        call.write({ status: this.#statuses.get(service) ?? "SERVICE_UNKNOWN" });
      },
      List: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (this.#statuses.size > MAX_LISTED) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: "Too many services to list." });
          return;
        }
        // Built from a FileDescriptorSet, the codec sees map<string, ...> as its wire form: repeated key/value entries.
        callback(null, { statuses: [...this.#statuses].map(([key, status]) => ({ key, value: { status } })) });
      },
    };
  }
}
