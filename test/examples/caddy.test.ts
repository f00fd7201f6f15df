// Debian's Caddy (forward_auth), started from examples/caddy/Caddyfile, in front of
// certgate's forward-auth listener, with client certificates made by OpenSSL's CLI.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import {
  certgateToml,
  echoUpstream,
  freePort,
  opensslProxyPki,
  rewriteExample,
  startProcess,
  writeIn,
  type Echo,
  type ProxyPki,
  type RunningProcess,
} from "../helpers/proxies.ts";
import { proxyScenarios } from "../helpers/proxy-scenarios.ts";

describe("Caddy in front of certgate (examples/caddy/Caddyfile)", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-caddy-"));
  let pki: ProxyPki;
  let certgate: Service;
  let upstream: Echo;
  let caddy: RunningProcess;
  let port: number;

  before(async () => {
    pki = opensslProxyPki(join(dir, "pki"));
    certgate = await startService(writeIn(dir, "certgate.toml", certgateToml(pki, "caddy")), pino({ level: "warn" }));
    upstream = await echoUpstream();
    port = await freePort();
    const caddyfile = rewriteExample("caddy/Caddyfile", [
      // Tests run side by side: no shared admin port.
      ["admin localhost:2019", "admin off"],
      ["https://localhost:8443", `https://localhost:${port}`],
      ["forward_auth 127.0.0.1:9191", `forward_auth ${certgate.forwardAuth!.address}`],
      ["reverse_proxy 127.0.0.1:8080", `reverse_proxy ${upstream.address}`],
      ["/etc/caddy/certgate/server.pem", pki.server.pem],
      ["/etc/caddy/certgate/server.key", pki.server.key],
    ]);
    const path = writeIn(dir, "Caddyfile", caddyfile);
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
    caddy = await startProcess("caddy", ["run", "--config", path, "--adapter", "caddyfile"], port, { cwd: dir, env });
  });
  after(async () => {
    await caddy?.stop();
    await upstream?.close();
    await certgate?.stop();
  });

  proxyScenarios(() => ({ port, pki, upstream }));
});
