// Debian's HAProxy 2.6 with Lua, started from examples/haproxy/haproxy.cfg and its
// certgate.lua action, in front of certgate's forward-auth listener, with client
// certificates made by OpenSSL's CLI.
import { mkdtempSync, readFileSync } from "node:fs";
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

describe("HAProxy in front of certgate (examples/haproxy/haproxy.cfg, certgate.lua)", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-haproxy-"));
  let pki: ProxyPki;
  let certgate: Service;
  let upstream: Echo;
  let haproxy: RunningProcess;
  let port: number;

  before(async () => {
    pki = opensslProxyPki(join(dir, "pki"));
    certgate = await startService(writeIn(dir, "certgate.toml", certgateToml(pki, "haproxy")), pino({ level: "warn" }));
    upstream = await echoUpstream();
    port = await freePort();
    const lua = rewriteExample("haproxy/certgate.lua", [["http://127.0.0.1:9191/", `http://${certgate.forwardAuth!.address}/`]]);
    const serverPem = writeIn(dir, "server-with-key.pem", readFileSync(pki.server.pem, "utf8") + readFileSync(pki.server.key, "utf8"));
    const cfg = rewriteExample("haproxy/haproxy.cfg", [
      ["lua-load /etc/haproxy/certgate.lua", `lua-load ${writeIn(dir, "certgate.lua", lua)}`],
      ["bind :8443 ssl", `bind 127.0.0.1:${port} ssl`],
      ["/etc/haproxy/certgate/server.pem", serverPem],
      ["/etc/haproxy/certgate/client-ca.pem", pki.root.pem],
      ["server app 127.0.0.1:8080", `server app ${upstream.address}`],
    ]);
    haproxy = await startProcess("haproxy", ["-db", "-f", writeIn(dir, "haproxy.cfg", cfg)], port, { cwd: dir });
  });
  after(async () => {
    await haproxy?.stop();
    await upstream?.close();
    await certgate?.stop();
  });

  proxyScenarios(() => ({ port, pki, upstream }));
});
