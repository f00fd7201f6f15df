// Debian's nginx (auth_request), started from examples/nginx/nginx.conf, in front of
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

describe("nginx in front of certgate (examples/nginx/nginx.conf)", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-nginx-"));
  let pki: ProxyPki;
  let certgate: Service;
  let upstream: Echo;
  let nginx: RunningProcess;
  let port: number;

  before(async () => {
    pki = opensslProxyPki(join(dir, "pki"));
    certgate = await startService(writeIn(dir, "certgate.toml", certgateToml(pki, "nginx")), pino({ level: "warn" }));
    upstream = await echoUpstream();
    port = await freePort();
    const conf = rewriteExample("nginx/nginx.conf", [
      ["listen 8443 ssl;", `listen 127.0.0.1:${port} ssl;`],
      ["server 127.0.0.1:9191;", `server ${certgate.forwardAuth!.address};`],
      ["proxy_pass http://127.0.0.1:8080;", `proxy_pass http://${upstream.address};`],
      ["/etc/nginx/certgate/server.pem", pki.server.pem],
      ["/etc/nginx/certgate/server.key", pki.server.key],
      // Where this nginx may write, as a user other than root.
      ["http {", `http {\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n    access_log off;`],
    ]);
    const confPath = writeIn(dir, "nginx.conf", conf);
    nginx = await startProcess("nginx", ["-p", dir, "-e", join(dir, "error.log"), "-c", confPath, "-g", `daemon off; pid ${dir}/nginx.pid;`], port, {
      cwd: dir,
    });
  });
  after(async () => {
    await nginx?.stop();
    await upstream?.close();
    await certgate?.stop();
  });

  proxyScenarios(() => ({ port, pki, upstream }));
});
