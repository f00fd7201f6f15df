// A configuration and everything it names, read the way serve reads it: `certgate
// check` reads through the same two functions, so what it reports valid is what serve
// would start with (the same files, CRL signers and TLS checks).
import type { CrlFileProblem, CrlFiles } from "../crl-loading/file-sources.ts";
import type { Config } from "../config/config.ts";
import { defaultConfig } from "../config/default.ts";
import { loadConfigFile } from "../config/load.ts";
import { withOverrides, type ListenOverrides } from "../config/overrides.ts";
import { loadRevocationStore, loadServerTls, loadTrustDomains, loadTrustStore, type ServerTlsMaterial } from "../config/trust-material.ts";
import { DEV_PKI_DIR, devPkiPresent } from "../devpki/layout.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import type { RevocationStore } from "../pki/revocation/store.ts";

/** The file, or without one the built-in default, generating the dev PKI it trusts when absent; with serve's --listen overrides. */
export async function readConfig(
  configPath: string | undefined,
  onGenerated: (dir: string) => void = () => undefined,
  overrides: ListenOverrides = {},
): Promise<Config> {
  if (configPath !== undefined) return withOverrides(loadConfigFile(configPath), overrides);
  if (!devPkiPresent(DEV_PKI_DIR)) {
    // The generator is loaded only when there is something to generate.
    const { ensureDevPki } = await import("../devpki/dev-pki.ts");
    const { generated } = await ensureDevPki(DEV_PKI_DIR, new Date());
    if (generated) onGenerated(DEV_PKI_DIR);
  }
  return withOverrides(defaultConfig(DEV_PKI_DIR), overrides);
}

export interface Material {
  readonly trust: TrustStore;
  readonly trustDomains: ReadonlyMap<string, TrustStore>;
  readonly store: RevocationStore;
  /** CRL files that did not load on a reload (they keep their previous CRLs). */
  readonly crlProblems: readonly CrlFileProblem[];
  readonly tls: ServerTlsMaterial | undefined;
  readonly forwardAuthTls: ServerTlsMaterial | undefined;
  /** What loading noted (skipped PEM blocks, pinned client certificates, nonconforming anchors). */
  readonly notes: readonly string[];
}

/** Every file the config names, read and checked; throws ConfigError. `initial`: a CRL file that does not load is an error. */
export async function readMaterial(config: Config, options: { readonly crlFiles?: CrlFiles; readonly initial: boolean }): Promise<Material> {
  const notes: string[] = [];
  const trust = loadTrustStore(config, notes);
  const trustDomains = loadTrustDomains(config, trust.intermediates, notes);
  const signers = [...trust.anchors, ...trust.intermediates, ...[...trustDomains.values()].flatMap((domain) => domain.anchors)];
  const { store, problems } = await loadRevocationStore(config, {
    ...(options.crlFiles === undefined ? {} : { files: options.crlFiles }),
    signers,
    initial: options.initial,
    notes,
  });
  const tls = loadServerTls(config, "server");
  return { trust, trustDomains, store, crlProblems: problems, tls, forwardAuthTls: loadServerTls(config, "forward_auth"), notes };
}
