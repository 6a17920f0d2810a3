import FoundationEssentials
import HTTPClient

/// Where and how to reach one API server: the resolved result of a kubeconfig context or of the
/// in-cluster service-account mount.
///
/// Secrets it holds (tokens, keys) are never part of `description`.
public struct KubeConfig: Sendable, CustomStringConvertible {
    /// Base URL without a trailing slash, e.g. `https://10.0.0.1:443`.
    public var server: String
    /// CA, client certificate and SNI for the transport (`CurlHTTPClient.Configuration.tls`).
    public var tls: TLSConfiguration
    /// The context's namespace, `default` when unset.
    public var namespace: String
    public var auth: AuthMethod
    /// Context name, or `in-cluster`.
    public var contextName: String
    /// The files or directory the configuration came from, for logs.
    public var source: String

    public init(
        server: String, tls: TLSConfiguration = TLSConfiguration(), namespace: String = "default",
        auth: AuthMethod = .none, contextName: String = "", source: String = ""
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.namespace = namespace
        self.auth = auth
        self.contextName = contextName
        self.source = source
    }

    public var description: String {
        "KubeConfig(server: \(server), context: \(contextName), namespace: \(namespace), auth: \(auth.kind), "
            + "ca: \(tls.caPEM != nil), clientCert: \(tls.clientCertificatePEM != nil), "
            + "insecure: \(tls.insecureSkipVerify), source: \(source))"
    }
}

/// How requests authenticate, besides a client certificate in `tls`.
public enum AuthMethod: Sendable {
    case none
    /// A fixed bearer token.
    case token(String)
    /// A bearer token read from a file that rotates (service-account tokens): re-read every
    /// `refreshInterval` and immediately after a 401.
    case tokenFile(path: String, refreshInterval: Duration)
    /// HTTP basic authentication (kubeconfig `username`/`password`).
    case basic(username: String, password: String)
    /// A `client.authentication.k8s.io/v1` exec plugin.
    case exec(ExecConfig)

    /// Name of the method, safe to log.
    public var kind: String {
        switch self {
        case .none: "none"
        case .token: "token"
        case .tokenFile: "tokenFile"
        case .basic: "basic"
        case .exec: "exec"
        }
    }
}

/// A kubeconfig `user.exec` entry, with paths already resolved.
public struct ExecConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    /// Extra variables for the plugin, on top of `baseEnvironment`.
    public var env: [String: String]
    /// The process environment the plugin inherits (passed in, never read here).
    public var baseEnvironment: [String: String]
    public var provideClusterInfo: Bool
    public var interactiveMode: String?
    public var installHint: String?
    /// The kubeconfig's directory: relative commands with a `/` resolve against it.
    public var directory: String
    /// Cluster details sent in `KUBERNETES_EXEC_INFO` when `provideClusterInfo` is set.
    public var clusterServer: String
    public var clusterCAPEM: Data?
    public var clusterInsecureSkipVerify: Bool
    public var clusterTLSServerName: String?
    /// Deadline for one plugin run.
    public var timeout: Duration

    public init(
        apiVersion: String = "client.authentication.k8s.io/v1", command: String, args: [String] = [],
        env: [String: String] = [:], baseEnvironment: [String: String] = [:], provideClusterInfo: Bool = false,
        interactiveMode: String? = "Never", installHint: String? = nil, directory: String = "",
        clusterServer: String = "", clusterCAPEM: Data? = nil, clusterInsecureSkipVerify: Bool = false,
        clusterTLSServerName: String? = nil, timeout: Duration = .seconds(30)
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.baseEnvironment = baseEnvironment
        self.provideClusterInfo = provideClusterInfo
        self.interactiveMode = interactiveMode
        self.installHint = installHint
        self.directory = directory
        self.clusterServer = clusterServer
        self.clusterCAPEM = clusterCAPEM
        self.clusterInsecureSkipVerify = clusterInsecureSkipVerify
        self.clusterTLSServerName = clusterTLSServerName
        self.timeout = timeout
    }
}

/// Why a configuration could not be loaded.
public struct KubeConfigError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case notFound, unreadable, malformed, missingField, unknownReference, unsupported, execFailed
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "kubeconfig \(code.rawValue): \(message)"
        if let cause { text += " [\(cause)]" }
        return text
    }
}

extension KubeConfig {
    /// The whole client-go / controller-runtime lookup order: an explicit path, then `KUBECONFIG`,
    /// then the in-cluster service account (when `KUBERNETES_SERVICE_HOST` is set), then
    /// `$HOME/.kube/config`.
    public static func resolve(
        kubeconfigPath: String? = nil, context: String? = nil, environment: [String: String],
        serviceAccountDirectory: String = InCluster.serviceAccountDirectory
    ) throws -> KubeConfig {
        if let path = kubeconfigPath, !path.isEmpty {
            return try load(kubeconfigPath: path, context: context, environment: environment)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return try load(kubeconfigPath: nil, context: context, environment: environment)
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
        return try load(kubeconfigPath: nil, context: context, environment: environment)
    }
}
