// Responses encoded once per decision. A cached decision is the same object every
// time it is answered, so its protobuf bytes can be too: the service definition
// passes an already-encoded response through, and handlers hand over the bytes they
// kept for the decision instead of an object to encode again.
import type * as grpc from "@grpc/grpc-js";

export type Encode = (response: unknown) => Buffer;

/** `definition` with every method's response serializer letting encoded bytes through; and each method's own serializer. */
export function passingEncoded(definition: grpc.ServiceDefinition): { definition: grpc.ServiceDefinition; encoders: Readonly<Record<string, Encode>> } {
  const encoders: Record<string, Encode> = {};
  const passing: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
    const serialize = method.responseSerialize;
    encoders[name] = serialize;
    passing[name] = { ...method, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)) };
  }
  return { definition: passing as grpc.ServiceDefinition, encoders };
}

/** Bytes kept per decision (and per the settings that shape them, when a response depends on settings too). */
export class EncodedResponses<K extends object> {
  readonly #bytes = new WeakMap<K, { readonly shape: unknown; readonly bytes: Buffer }>();
  readonly #encode: Encode;

  constructor(encode: Encode) {
    this.#encode = encode;
  }

  /** The encoded response for `key` built by `build` under `shape`, encoding it only the first time. */
  get(key: K, shape: unknown, build: () => unknown): Buffer {
    const known = this.#bytes.get(key);
    if (known !== undefined && known.shape === shape) return known.bytes;
    const bytes = this.#encode(build());
    this.#bytes.set(key, { shape, bytes });
    return bytes;
  }
}
