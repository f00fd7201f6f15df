// Debian's nginx (auth_request), started from examples/nginx/nginx.conf, in front of
// certgate's forward-auth listener, with client certificates made by OpenSSL's CLI.
import { join } from "node:path";
import { rewriteExample, startProcess, writeIn } from "../helpers/proxies.ts";
import { describeProxy } from "../helpers/proxy-scenarios.ts";

describeProxy("nginx in front of certgate (examples/nginx/nginx.conf)", "nginx", ({ dir, pki, certgate, upstream, port }) => {
  const conf = rewriteExample("nginx/nginx.conf", [
    ["listen 8443 ssl;", `listen 127.0.0.1:${port} ssl;`],
    ["server 127.0.0.1:9191;", `server ${certgate};`],
    ["proxy_pass http://127.0.0.1:8080;", `proxy_pass http://${upstream.address};`],
    ["/etc/nginx/certgate/server.pem", pki.server.pem],
    ["/etc/nginx/certgate/server.key", pki.server.key],
    // Where this nginx may write, as a user other than root.
    ["http {", `http {\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n    access_log off;`],
  ]);
  const args = ["-p", dir, "-e", join(dir, "error.log"), "-c", writeIn(dir, "nginx.conf", conf), "-g", `daemon off; pid ${dir}/nginx.pid;`];
  return startProcess("nginx", args, port, { cwd: dir });
});
