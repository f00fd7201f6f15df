// The shipped Envoy example must parse and keep the settings certgate relies on.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";

type Node = Record<string, unknown>;
const at = (node: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((value, key) => (value as Node | undefined)?.[key as string], node);
/** A cluster's upstream HTTP/2 settings (gRPC needs HTTP/2 to certgate). */
const http2Options = (cluster: Node) =>
  at(cluster, "typed_extension_protocol_options", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "explicit_http_config", "http2_protocol_options");

describe("examples/envoy/envoy.yaml", () => {
  const config = parse(readFileSync(new URL("../../examples/envoy/envoy.yaml", import.meta.url), "utf8")) as Node;
  const chain = at(config, "static_resources", "listeners", 0, "filter_chains", 0);
  const hcm = at(chain, "filters", 0, "typed_config") as Node;
  const filters = hcm.http_filters as Node[];

  it("requires client certificates downstream", () => {
    assert.equal(at(chain, "transport_socket", "typed_config", "require_client_certificate"), true);
  });

  it("sanitises XFCC and forwards the full chain", () => {
    assert.equal(hcm.forward_client_cert_details, "SANITIZE_SET");
    assert.equal(at(hcm, "set_current_client_cert_details", "chain"), true);
  });

  it("calls certgate with ext_authz over gRPC v3, with the peer certificate, failing closed", () => {
    const extAuthz = filters.find((f) => f.name === "envoy.filters.http.ext_authz")!.typed_config as Node;
    assert.equal(extAuthz.transport_api_version, "V3");
    assert.equal(at(extAuthz, "grpc_service", "envoy_grpc", "cluster_name"), "certgate");
    assert.equal(extAuthz.include_peer_certificate, true);
    assert.equal(extAuthz.failure_mode_allow, false);
    assert.equal(filters.at(-1)!.name, "envoy.filters.http.router");
  });

  it("points the certgate cluster at certgate's default port over HTTP/2", () => {
    const cluster = (at(config, "static_resources", "clusters") as Node[]).find((c) => c.name === "certgate")!;
    assert.equal(at(cluster, "load_assignment", "endpoints", 0, "lb_endpoints", 0, "endpoint", "address", "socket_address", "port_value"), 50051);
    assert.ok(http2Options(cluster));
  });
});

describe("examples/envoy/envoy-kubernetes.yaml", () => {
  const config = parse(readFileSync(new URL("../../examples/envoy/envoy-kubernetes.yaml", import.meta.url), "utf8")) as Node;
  const cluster = (at(config, "static_resources", "clusters") as Node[]).find((c) => c.name === "certgate")!;
  const services = parseAllDocuments(readFileSync(new URL("../../deploy/kubernetes/service.yaml", import.meta.url), "utf8")).map((doc) => doc.toJS() as Node);

  it("spreads calls over every pod: STRICT_DNS on the headless Service, round robin, HTTP/2, health-checked", () => {
    assert.equal(cluster.type, "STRICT_DNS");
    assert.equal(cluster.lb_policy, "ROUND_ROBIN");
    assert.ok(http2Options(cluster));
    assert.ok(at(cluster, "health_checks", 0, "grpc_health_check"));
    const address = at(cluster, "load_assignment", "endpoints", 0, "lb_endpoints", 0, "endpoint", "address", "socket_address") as Node;
    const headless = services.find((service) => at(service, "spec", "clusterIP") === "None")!;
    assert.equal(String(address.address).split(".")[0], at(headless, "metadata", "name"));
    assert.equal(address.port_value, (at(headless, "spec", "ports") as Node[]).find((port) => port.name === "grpc")!.port);
  });
});
