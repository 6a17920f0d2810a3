import CRDModels
import FoundationEssentials
import HTTPClient

/// Constants of the in-cluster service-account mount.
public enum InCluster {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"
}

extension KubeConfig {
    /// The in-cluster configuration (client-go `rest.InClusterConfig`): `https://` +
    /// `KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT` (IPv6 bracketed), the service-account token
    /// (re-read every minute and after a 401, because the kubelet rotates it), `ca.crt` and the
    /// `namespace` file.
    public static func inCluster(
        environment: [String: String], serviceAccountDirectory: String = InCluster.serviceAccountDirectory
    ) throws -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError(
                code: .notFound,
                message: "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let tokenPath = serviceAccountDirectory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError(code: .unreadable, message: "service-account token \(tokenPath) is not readable")
        }
        let caPath = serviceAccountDirectory + "/ca.crt"
        let caPEM: Data
        do {
            caPEM = try Data(contentsOf: URL(fileURLWithPath: caPath))
        } catch {
            throw KubeConfigError(code: .unreadable, message: "cannot read the cluster CA \(caPath)", cause: error)
        }
        let namespacePath = serviceAccountDirectory + "/namespace"
        let namespace = (try? String(contentsOfFile: namespacePath, encoding: .utf8))?
            .trimmingWhitespace()
        return KubeConfig(
            server: "https://\(hostPart):\(port)", tls: TLSConfiguration(caPEM: caPEM),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            auth: .tokenFile(path: tokenPath, refreshInterval: .seconds(60)), contextName: "in-cluster",
            source: serviceAccountDirectory)
    }
}
