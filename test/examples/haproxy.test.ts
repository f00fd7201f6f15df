// Debian's HAProxy 2.6 with Lua, started from examples/haproxy/haproxy.cfg and its
// certgate.lua action, in front of certgate's forward-auth listener, with client
// certificates made by OpenSSL's CLI.
import { readFileSync } from "node:fs";
import { rewriteExample, startProcess, writeIn } from "../helpers/proxies.ts";
import { describeProxy } from "../helpers/proxy-scenarios.ts";

describeProxy("HAProxy in front of certgate (examples/haproxy/haproxy.cfg, certgate.lua)", "haproxy", ({ dir, pki, certgate, upstream, port }) => {
  const lua = rewriteExample("haproxy/certgate.lua", [["http://127.0.0.1:9191/", `http://${certgate}/`]]);
  const serverPem = writeIn(dir, "server-with-key.pem", readFileSync(pki.server.pem, "utf8") + readFileSync(pki.server.key, "utf8"));
  const cfg = rewriteExample("haproxy/haproxy.cfg", [
    ["lua-load /etc/haproxy/certgate.lua", `lua-load ${writeIn(dir, "certgate.lua", lua)}`],
    ["bind :8443 ssl", `bind 127.0.0.1:${port} ssl`],
    ["/etc/haproxy/certgate/server.pem", serverPem],
    ["/etc/haproxy/certgate/client-ca.pem", pki.root.pem],
    ["server app 127.0.0.1:8080", `server app ${upstream.address}`],
  ]);
  return startProcess("haproxy", ["-db", "-f", writeIn(dir, "haproxy.cfg", cfg)], port, { cwd: dir });
});
