import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

@testable import KubeClient

/// Transports the wire tests run over: plain HTTP and HTTPS with the server's generated CA. Tests
/// that run once use the last mode (TLS).
let wireTLSModes: [Bool] = [false, true]

/// Starts a test server, builds a libcurl `KubeClient` from the server's own kubeconfig (so the
/// kubeconfig loader, TLS settings and token are on the path), runs `body`, and always shuts down.
func withWireClient<T>(
    tls: Bool, user: String? = nil, requestTimeout: Duration = .seconds(10),
    _ body: (KubeAPITestServer, KubeClient) async throws -> T
) async throws -> T {
    let server = try await KubeAPITestServer.start(tls: tls)
    do {
        let config = try KubeConfig.parse(yaml: server.kubeconfigYAML(user: user), directory: "/")
        let client = KubeClient(config: config, requestTimeout: requestTimeout)
        let result = try await body(server, client)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// A namespaced custom resource with a status subresource, registered through a CRD.
struct Widget: KubeResource, Hashable {
    static let resource = ResourceDescriptor(
        group: "test.example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true)

    struct Spec: Codable, Hashable { var size: Int }
    struct Status: Codable, Hashable { var phase: String }

    var apiVersion = Self.resource.apiVersion
    var kind = Self.resource.kind
    var metadata: ObjectMeta
    var spec: Spec
    var status: Status?

    static let crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"widgets.test.example.com"},
         "spec":{"group":"test.example.com","scope":"Namespaced",
          "names":{"kind":"Widget","plural":"widgets","singular":"widget","listKind":"WidgetList"},
          "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
            "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
        """
}

func makeNamespace(_ client: KubeClient, _ name: String) async throws {
    _ = try await client.create(Namespace(metadata: ObjectMeta(name: name)))
}

func secret(_ name: String, in namespace: String, labels: [String: String]? = nil, value: String = "v") -> Secret {
    Secret(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), data: ["key": Data(value.utf8)],
        type: "Opaque")
}

/// The `KubeAPIError` a throwing call produced, or nil (recording an issue) if it did not fail so.
func apiError(_ body: () async throws -> Void) async -> KubeAPIError? {
    do {
        try await body()
        Issue.record("expected a KubeAPIError, the call succeeded")
        return nil
    } catch let error as KubeAPIError {
        return error
    } catch {
        Issue.record("expected a KubeAPIError, got \(error)")
        return nil
    }
}
