// certgate's own serving certificate and its callers' CAs, replaceable while serving:
// cert-manager and SPIRE renew them every few days, and a restart for each renewal
// would drop every connection. grpc-js reads TLS material from a CertificateProvider
// (experimental API); its FileWatcherCertificateProvider is not used, because it
// polls, reads certificate and key at different moments, and on a failed read or a
// mismatched pair publishes nothing, which drops every new connection until the next
// poll. This provider is fed by certgate's reload instead: the files are read and
// checked (key matches certificate, a TLS context builds) before anything is replaced,
// a broken renewal keeps the material in use, and new handshakes get the new material
// while established connections finish on theirs.
import * as grpc from "@grpc/grpc-js";
import type { ServerTlsMaterial } from "../config/trust-material.ts";

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

export class ServerTlsProvider implements grpc.experimental.CertificateProvider {
  #material: ServerTlsMaterial;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();

  constructor(material: ServerTlsMaterial) {
    this.#material = material;
  }

  #ca() {
    return this.#material.clientCas === null ? null : { caCertificate: this.#material.clientCas };
  }

  #identity() {
    return { certificate: this.#material.certChain, privateKey: this.#material.privateKey };
  }

  /** New material for new handshakes (already checked by loadServerTls). */
  update(material: ServerTlsMaterial): void {
    this.#material = material;
    for (const listener of this.#identityListeners) listener(this.#identity());
    for (const listener of this.#caListeners) listener(this.#ca());
  }

  // Answered on the next tick, as grpc-js's own provider does: the server registers its
  // watcher right after asking, and an answer given synchronously would pass it by.
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    process.nextTick(() => listener(this.#ca()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    process.nextTick(() => listener(this.#identity()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }
}

/**
 * Server credentials reading from `provider`. grpc-js 1.14 declares this function's
 * parameters as (ca, identity, ...) but hands the first to the identity slot of the
 * credentials it builds: the identity provider goes first (a test rotates both, so a
 * change in grpc-js shows). Without caller CAs no client certificate is asked for.
 */
export function providerCredentials(provider: ServerTlsProvider, material: ServerTlsMaterial): grpc.ServerCredentials {
  return grpc.experimental.createCertificateProviderServerCredentials(provider, material.clientCas === null ? null : provider, material.requireClientCert);
}
