// The Kubernetes manifests must parse, agree with each other and carry a config
// certgate accepts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../src/config/load.ts";

type Manifest = { kind: string; metadata: { name: string }; spec?: Record<string, any>; data?: Record<string, string> };

function manifests(name: string): Manifest[] {
  const text = readFileSync(new URL(`../../deploy/kubernetes/${name}`, import.meta.url), "utf8");
  return parseAllDocuments(text).map((doc) => {
    assert.deepEqual(doc.errors, [], `${name}: ${doc.errors.join("; ")}`);
    return doc.toJS() as Manifest;
  });
}

describe("deploy/kubernetes", () => {
  const all = ["configmap.yaml", "deployment.yaml", "service.yaml", "hpa.yaml"].flatMap(manifests);
  const byKind = (kind: string) => all.find((m) => m.kind === kind)!;

  it("lists every manifest in the kustomization", () => {
    const [kustomization] = manifests("kustomization.yaml");
    assert.deepEqual((kustomization as unknown as { resources: string[] }).resources, ["configmap.yaml", "deployment.yaml", "service.yaml", "hpa.yaml"]);
  });

  it("runs several replicas with gRPC health probes, resource limits and a drain longer than drain_seconds", () => {
    const spec = byKind("Deployment").spec!;
    assert.ok(spec.replicas >= 2);
    const pod = spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.readinessProbe.grpc.port, 8086);
    assert.equal(container.livenessProbe.grpc.port, 8086);
    assert.ok(container.resources.limits.cpu && container.resources.limits.memory);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    // The heap must fit the memory limit (320Mi): 192 MiB old space plus young generation and native memory.
    assert.match(container.env.find((e: { name: string }) => e.name === "NODE_OPTIONS").value, /--max-old-space-size=192/);
    // The benchmarks' peak RSS is measured with two malloc arenas (scripts/bench.ts).
    assert.equal(container.env.find((e: { name: string }) => e.name === "MALLOC_ARENA_MAX")?.value, "2");
    const toml = byKind("ConfigMap").data!["deployment.toml"]!;
    const config = parseConfig(toml, "configmap", "/etc/certgate/config");
    assert.ok(pod.terminationGracePeriodSeconds > config.server.drainSeconds);
    assert.equal(config.health.listen, "0.0.0.0:8086");
    assert.equal(config.server.listen, `0.0.0.0:${container.ports.find((p: { name: string }) => p.name === "grpc").containerPort}`);
    const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const path of [config.server.tls!.certFile, config.truststore.caFiles[0]!])
      assert.ok(
        mounts.some((m: string) => path.startsWith(m + "/")),
        path,
      );
  });

  it("exposes the gRPC port through the Service to the pods of the Deployment", () => {
    const service = byKind("Service").spec!;
    const deployment = byKind("Deployment").spec!;
    assert.deepEqual(service.selector, deployment.selector.matchLabels);
    assert.equal(service.ports.find((p: { name: string }) => p.name === "grpc").appProtocol, "grpc");
  });

  it("ships no dev allow-list: the intermediate CN is a placeholder that refuses every client until replaced", () => {
    const config = parseConfig(byKind("ConfigMap").data!["deployment.toml"]!, "configmap", "/etc/certgate/config");
    assert.ok(!config.intermediateCertValidation.certCns.includes("certgate-dev-intermediate"));
    assert.deepEqual(config.intermediateCertValidation.certCns, ["replace-with-your-client-issuing-ca-cn"]);
  });

  it("checks the configuration in an init container, with the server's image, config and mounts", () => {
    const pod = byKind("Deployment").spec!.template.spec;
    const [check] = pod.initContainers;
    const server = pod.containers[0];
    assert.deepEqual(check.args, ["check", "--config", server.args[2]]);
    assert.equal(check.image, server.image);
    assert.deepEqual(check.volumeMounts, server.volumeMounts);
  });

  it("names, for every file the configuration reads, the volume, the key and how to create it", () => {
    const pod = byKind("Deployment").spec!.template.spec;
    const config = parseConfig(byKind("ConfigMap").data!["deployment.toml"]!, "configmap", "/etc/certgate/config");
    const readme = readFileSync(new URL("../../deploy/kubernetes/README.md", import.meta.url), "utf8");
    const tls = config.server.tls!;
    const files = [tls.certFile, tls.keyFile, ...tls.clientCaFiles, ...config.truststore.caFiles, ...config.truststore.intermediateFiles];
    for (const path of files) {
      const mount = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => path.startsWith(m.mountPath + "/"));
      assert.ok(mount, `${path} is under a mounted volume`);
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      const key = path.slice(mount.mountPath.length + 1);
      const [kind, name] = volume.secret !== undefined ? ["Secret", volume.secret.secretName] : ["ConfigMap", volume.configMap.name];
      const inManifests = all.find((m) => m.kind === kind && m.metadata.name === name);
      if (inManifests !== undefined) assert.ok(key in inManifests.data!, `${name} holds ${key}`);
      else {
        assert.ok(readme.includes(`| \`${path}\` | ${kind} \`${name}\` | \`${key}\` |`), `README.md's table names ${path}`);
        assert.match(
          readme,
          new RegExp(`kubectl create (secret generic|configmap) ${name} .*--from-file=${key.replace(/\./g, "\\.")}=`),
          `README.md creates ${name} with ${key}`,
        );
      }
    }
    assert.ok("deployment.toml" in byKind("ConfigMap").data!);
  });

  it("points kustomize at the image the README builds and pushes", () => {
    const [kustomization] = manifests("kustomization.yaml") as unknown as { images: { name: string; newName: string }[] }[];
    const image = byKind("Deployment").spec!.template.spec.containers[0].image as string;
    assert.equal(kustomization!.images[0]!.name, image.split(":")[0]);
    const readme = readFileSync(new URL("../../deploy/kubernetes/README.md", import.meta.url), "utf8");
    assert.ok(readme.includes(`docker push ${kustomization!.images[0]!.newName}:`));
  });

  it("offers a headless Service beside the ClusterIP one, over the same pods, ready ones only", () => {
    const services = all.filter((m) => m.kind === "Service");
    const headless = services.find((service) => service.spec!.clusterIP === "None")!;
    assert.ok(services.some((service) => service.spec!.clusterIP === undefined));
    assert.deepEqual(headless.spec!.selector, byKind("Deployment").spec!.selector.matchLabels);
    assert.equal(headless.spec!.publishNotReadyAddresses, false);
    assert.equal(headless.spec!.ports.find((p: { name: string }) => p.name === "grpc").port, 50051);
  });

  it("scales the Deployment on CPU, from its replica count, one worker per pod, connections that age out", () => {
    const hpa = byKind("HorizontalPodAutoscaler").spec!;
    assert.equal(hpa.scaleTargetRef.kind, "Deployment");
    assert.equal(hpa.scaleTargetRef.name, byKind("Deployment").metadata.name);
    assert.equal(hpa.minReplicas, byKind("Deployment").spec!.replicas);
    assert.equal(hpa.metrics[0].resource.name, "cpu");
    const config = parseConfig(byKind("ConfigMap").data!["deployment.toml"]!, "configmap", "/etc/certgate/config");
    assert.equal(config.server.workers, 1);
    assert.ok(config.server.maxConnectionAgeSeconds > 0);
  });

  it("keeps two replicas up through voluntary disruptions", () => {
    assert.equal(byKind("PodDisruptionBudget").spec!.minAvailable, 2);
  });
});
