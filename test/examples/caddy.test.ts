// Debian's Caddy (forward_auth), started from examples/caddy/Caddyfile, in front of
// certgate's forward-auth listener, with client certificates made by OpenSSL's CLI.
import { join } from "node:path";
import { rewriteExample, startProcess, writeIn } from "../helpers/proxies.ts";
import { describeProxy } from "../helpers/proxy-scenarios.ts";

describeProxy("Caddy in front of certgate (examples/caddy/Caddyfile)", "caddy", ({ dir, pki, certgate, upstream, port }) => {
  const caddyfile = rewriteExample("caddy/Caddyfile", [
    // Tests run side by side: no shared admin port.
    ["admin localhost:2019", "admin off"],
    ["https://localhost:8443", `https://localhost:${port}`],
    ["forward_auth 127.0.0.1:9191", `forward_auth ${certgate}`],
    ["reverse_proxy 127.0.0.1:8080", `reverse_proxy ${upstream.address}`],
    ["/etc/caddy/certgate/server.pem", pki.server.pem],
    ["/etc/caddy/certgate/server.key", pki.server.key],
  ]);
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
  return startProcess("caddy", ["run", "--config", writeIn(dir, "Caddyfile", caddyfile), "--adapter", "caddyfile"], port, { cwd: dir, env });
});
