// What each command accepts, as printed by --help and after a usage error. Kept apart
// from the commands so that printing it loads none of them.
import { readFileSync } from "node:fs";

export const SERVE_USAGE = `usage: certgate serve [--config FILE] [--workers N|auto] [--listen ADDR] [--metrics-listen ADDR]
  Runs the gRPC service (certgate.v1, Envoy ext_authz, health, reflection) and, with
  [forward_auth], the HTTP listener of nginx, Traefik, Caddy and HAProxy's forward auth.
  Without --config: the built-in dev default on 127.0.0.1:50051, trusting certs/dev
  (generated on first run). SIGHUP or a changed file reloads; SIGTERM drains and stops.
  --workers (server.workers): serving processes sharing the listeners; "auto" = one per core.
  --listen (server.listen) and --metrics-listen (metrics.listen, "" = off) override the config's:
  a second server beside one already running, e.g. npm start -- --listen 127.0.0.1:50052.`;

export const VERIFY_USAGE = `usage: certgate verify --ca FILE... [--untrusted FILE...] [--at ISO-8601] [--context PATH]
                       [--method METHOD] [--user NAME] [--config FILE] [--purpose client|server|any]
                       [--max-chain-length N] [--crl FILE...] [--revocation off|soft_fail|hard_fail|require]
                       [--allow-sha1] [--profile rfc5280|strict] [--explain] LEAF_FILE
  LEAF_FILE may hold the leaf alone or the leaf followed by its chain (PEM or DER); a
  private key in it (a client.pem) is skipped, never read. --ca files may hold CRLs.
  Prints the decision as one JSON object; --explain prints, for people, what was
  decided and why (the path, every check, policy, revocation evidence, a hint).
  Without --config and --ca: the built-in default serve runs (trusting the dev PKI in certs/dev).
  With --ca but no --config the intermediate-CN check is off; --crl alone checks revocation in soft_fail mode.
  --allow-sha1 accepts SHA-1 signatures (truststore.allow_sha1); MD5 is always refused.
  --profile: rfc5280 (default) reports RFC 5280 CA-rule violations as warnings; strict
  refuses them (truststore.profile; "compatible" is an alias of rfc5280).
  Exit: 0 allowed, 1 denied, 2 usage error.`;

export const CHECK_USAGE = `usage: certgate check [--config FILE]
  Reads the configuration as serve would (the file, trust stores, CRLs) without
  listening, and prints what it found: the trust anchors, the tables and keys that are
  not certgate's (a WSO2 deployment.toml's own) and were ignored, warnings, notes.
  Without --config: the built-in default. Exit: 0 valid, 2 invalid (each problem on a
  line of stderr) or a usage error.`;

export const CERTS_USAGE = `usage: certgate certs [--out DIR] [--force]
  Writes the dev PKI (a root, intermediates, clients for each CN format and each defect,
  CRLs, a server and a caller certificate) to DIR (default certs/dev). Keys are for
  development only and are never committed. --force replaces an existing one.`;

export const USAGE = `usage: certgate <command> [options]
  serve [--config FILE]        run the service (no --config: built-in dev default; --workers N)
  verify ... LEAF_FILE         check a chain offline and print the decision
  check [--config FILE]        read a configuration as serve would, and say what it holds
  certs [--out DIR] [--force]  write the dev PKI (default certs/dev)
  --help                       this text; certgate <command> --help for one command
  --version                    certgate's version`;

export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}
