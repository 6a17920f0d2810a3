import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

/// HTTPS with the shared OpenSSL handler: bearer tokens and client certificates, with kubectl and
/// libcurl; and the project's own CRDs and samples applied with kubectl.
@Suite("Test server: HTTPS, client certificates, project CRDs with kubectl")
struct TestServerTLSTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func libcurlAuthenticatesWithTokenOrClientCertificate() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        try await withTeardown({ await server.shutdown() }) {
            #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
            let caPEM = try #require(server.caPEM)
            let withToken = try await TestServerWire(server).call("GET", "/api/v1/namespaces")
            #expect(withToken.status == 200)
            #expect(withToken.json["kind"] == .string("NamespaceList"))
            #expect(try await TestServerWire(server, token: "wrong").call("GET", "/api/v1/namespaces").status == 401)
            // An empty bearer token counts as none: system:anonymous, refused by RBAC.
            #expect(try await TestServerWire(server, token: "").call("GET", "/api/v1/namespaces").status == 403)

            let pair = try server.clientCertificate(user: "alice")
            let client = CurlHTTPClient(
                configuration: .init(
                    tls: TLSConfiguration(caPEM: caPEM, clientCertificatePEM: pair.certificatePEM, clientKeyPEM: pair.keyPEM)))
            let response = try await client.send(HTTPRequest(url: server.baseURL + "/api/v1/namespaces/default"))
            #expect(response.status == 200)

            // A client certificate from another CA fails verification.
            let stranger = try TestCertificates.makeCA(commonName: "stranger")
            defer { stranger.remove() }
            let mallory = try stranger.client(commonName: "mallory")
            let refused = CurlHTTPClient(
                configuration: .init(
                    tls: TLSConfiguration(
                        caPEM: caPEM, clientCertificatePEM: mallory.certificatePEM, clientKeyPEM: mallory.keyPEM)))
            await #expect(throws: (any Error).self) {
                _ = try await refused.send(HTTPRequest(url: server.baseURL + "/api/v1/namespaces/default"))
            }
        }
    }

    @Test func kubectlOverHTTPSWithTokenAndWithClientCertificate() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        try await withTeardown({ await server.shutdown() }) {
            let directory = try makeServerTestDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try server.writeKubeconfig(to: directory + "/token.yaml")
            try server.writeKubeconfig(to: directory + "/cert.yaml", user: "alice")
            for file in ["token.yaml", "cert.yaml"] {
                let result = try await runServerTool(
                    ["kubectl", "get", "namespaces", "-o", "name"],
                    environment: ["KUBECONFIG": directory + "/" + file, "HOME": directory])
                #expect(result.status == 0, "\(file): \(result.stderr)")
                #expect(result.stdout.contains("namespace/kube-system"), "\(file)")
            }
            try """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "\(server.baseURL)", certificate-authority-data: \(server.caPEM!.base64EncodedString())}}]
                users: [{name: u, user: {token: wrong}}]
                contexts: [{name: c, context: {cluster: c, user: u}}]
                current-context: c
                """.write(toFile: directory + "/wrong.yaml", atomically: true, encoding: .utf8)
            let refused = try await runServerTool(
                ["kubectl", "get", "namespaces"], environment: ["KUBECONFIG": directory + "/wrong.yaml", "HOME": directory])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Unauthorized") || refused.stderr.contains("provide credentials"))
        }
    }

    @Test func kubectlAppliesTheProjectCRDsAndSamples() async throws {
        let crdDirectory = Self.packageRoot + "/config/crd"
        let samples = Self.packageRoot + "/config/samples"
        try #require(FileManager.default.fileExists(atPath: crdDirectory), "config/crd is missing")
        let server = try await KubeAPITestServer.start(tls: true)
        try await withTeardown({ await server.shutdown() }) {
            let directory = try makeServerTestDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try server.writeKubeconfig(to: directory + "/kubeconfig")
            let env = ["KUBECONFIG": directory + "/kubeconfig", "HOME": directory]
            for namespace in ["team-a", "ci", "staging", "ecr-pullsecret-operator-system"] {
                try server.seed(.literal(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(namespace)"}}"#))
            }
            let crds = try await runServerTool(["kubectl", "apply", "-f", crdDirectory + "/ecr.pullsecrets.dev_awsecrimagepullsecrets.yaml", "-f", crdDirectory + "/ecr.pullsecrets.dev_clusterawsecrimagepullsecrets.yaml"], environment: env)
            #expect(crds.status == 0, "\(crds.stderr)")
            let applied = try await runServerTool(["kubectl", "apply", "-k", samples], environment: env)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("awsecrimagepullsecret.ecr.pullsecrets.dev/team-registry created"), "\(applied.stdout)")
            let resource = try #require(server.object("awsecrimagepullsecrets", namespace: "team-a", name: "team-registry"))
            #expect(resource["spec"]?["secretName"] == .string("ecr-login"))
            #expect(server.object("clusterawsecrimagepullsecrets", name: "shared-registry") != nil)
            #expect(server.object("secrets", namespace: "team-a", name: "aws-creds")?["data"]?["AWS_ACCESS_KEY_ID"] != nil)
            let listed = try await runServerTool(["kubectl", "get", "ecr", "-A", "-o", "name"], environment: env)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("awsecrimagepullsecret.ecr.pullsecrets.dev/team-registry"))
            #expect(listed.stdout.contains("clusterawsecrimagepullsecret.ecr.pullsecrets.dev/shared-registry"))
            let again = try await runServerTool(["kubectl", "apply", "-k", samples], environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("team-registry unchanged"), "\(again.stdout)")
        }
    }
}
