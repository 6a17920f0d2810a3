import CRDModels
import FoundationEssentials
import HTTPClient

/// The kubeconfig file format (client-go `tools/clientcmd/api/v1/types.go`), only the fields we use.
struct KubeconfigFile: Decodable {
    var currentContext: String?
    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Exec?
        var authProvider: JSONAny?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    struct Exec: Decodable {
        var apiVersion: String?
        var command: String?
        var args: [String]?
        var env: [EnvVar]?
        var provideClusterInfo: Bool?
        var interactiveMode: String?
        var installHint: String?
    }

    struct EnvVar: Decodable {
        var name: String
        var value: String
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    /// Presence marker for a field whose content we do not interpret.
    struct JSONAny: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}

/// One kubeconfig file after parsing, with relative paths already resolved against its directory.
struct ParsedKubeconfig {
    var path: String
    var directory: String
    var file: KubeconfigFile
}

extension KubeConfig {
    /// Loads a kubeconfig: `kubeconfigPath` if given, else every file in `KUBECONFIG` (`:`-separated,
    /// merged, the first definition of a name wins, missing files skipped), else `$HOME/.kube/config`.
    /// `context` overrides `current-context`.
    public static func load(
        kubeconfigPath: String? = nil, context: String? = nil, environment: [String: String]
    ) throws -> KubeConfig {
        let paths: [String]
        let mustExist: Bool
        if let kubeconfigPath, !kubeconfigPath.isEmpty {
            paths = [kubeconfigPath]
            mustExist = true
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            mustExist = false
        } else if let home = environment["HOME"], !home.isEmpty {
            paths = [home + "/.kube/config"]
            mustExist = true
        } else {
            throw KubeConfigError(
                code: .notFound, message: "no kubeconfig: neither --kubeconfig, KUBECONFIG nor HOME is set")
        }
        var files: [ParsedKubeconfig] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else {
                if mustExist { throw KubeConfigError(code: .notFound, message: "kubeconfig file \(path) does not exist") }
                continue
            }
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw KubeConfigError(code: .unreadable, message: "cannot read kubeconfig \(path)", cause: error)
            }
            let directory = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ""
            files.append(try parseFile(text, path: path, directory: directory.isEmpty ? "." : directory))
        }
        guard !files.isEmpty else {
            throw KubeConfigError(code: .notFound, message: "none of the KUBECONFIG files exist: \(paths.joined(separator: ":"))")
        }
        return try merge(files, context: context, environment: environment)
    }

    /// Parses one kubeconfig document. `directory` anchors relative file paths.
    public static func parse(
        yaml: String, directory: String, context: String? = nil, environment: [String: String] = [:]
    ) throws -> KubeConfig {
        let file = try parseFile(yaml, path: "<inline>", directory: directory)
        return try merge([file], context: context, environment: environment)
    }

    static func parseFile(_ text: String, path: String, directory: String) throws -> ParsedKubeconfig {
        do {
            let file = try JSONDecoder().decode(KubeconfigFile.self, from: KubeconfigYAML.parse(text).serialized())
            return ParsedKubeconfig(path: path, directory: directory, file: file)
        } catch {
            throw KubeConfigError(
                code: .malformed, message: "\(path) is not a valid kubeconfig: \(describeDecodingError(error))",
                cause: error)
        }
    }

    /// Merges files first-wins and resolves one context into a `KubeConfig`.
    static func merge(_ files: [ParsedKubeconfig], context: String?, environment: [String: String]) throws -> KubeConfig {
        var clusters: [String: (KubeconfigFile.Cluster, ParsedKubeconfig)] = [:]
        var users: [String: (KubeconfigFile.User, ParsedKubeconfig)] = [:]
        var contexts: [String: KubeconfigFile.Context] = [:]
        var currentContext: String?
        for file in files {
            if currentContext == nil, let name = file.file.currentContext, !name.isEmpty { currentContext = name }
            for entry in file.file.clusters ?? [] where clusters[entry.name] == nil {
                clusters[entry.name] = (entry.cluster, file)
            }
            for entry in file.file.users ?? [] where users[entry.name] == nil {
                users[entry.name] = (entry.user ?? KubeconfigFile.User(), file)
            }
            for entry in file.file.contexts ?? [] where contexts[entry.name] == nil {
                contexts[entry.name] = entry.context
            }
        }
        let source = files.map(\.path).joined(separator: ":")
        guard let contextName = (context?.isEmpty == false ? context : nil) ?? currentContext else {
            throw KubeConfigError(
                code: .missingField, message: "\(source): current-context is not set and no --context was given")
        }
        guard let chosen = contexts[contextName] else {
            throw KubeConfigError(code: .unknownReference, message: "\(source): context \"\(contextName)\" is not defined")
        }
        guard let clusterName = chosen.cluster, let (cluster, clusterFile) = clusters[clusterName] else {
            throw KubeConfigError(
                code: .unknownReference,
                message: "\(source): context \"\(contextName)\" names cluster \"\(chosen.cluster ?? "")\", which is not defined")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeConfigError(code: .missingField, message: "\(source): cluster \"\(clusterName)\" has no server")
        }
        var tls = TLSConfiguration(
            insecureSkipVerify: cluster.insecureSkipTLSVerify ?? false, serverName: cluster.tlsServerName)
        tls.caPEM = try pemData(
            inline: cluster.certificateAuthorityData, path: cluster.certificateAuthority, file: clusterFile,
            field: "clusters[\(clusterName)].cluster.certificate-authority")

        var auth = AuthMethod.none
        if let userName = chosen.user, !userName.isEmpty {
            guard let (user, userFile) = users[userName] else {
                throw KubeConfigError(
                    code: .unknownReference,
                    message: "\(source): context \"\(contextName)\" names user \"\(userName)\", which is not defined")
            }
            let field = "users[\(userName)].user"
            if user.authProvider != nil {
                throw KubeConfigError(
                    code: .unsupported,
                    message: "\(source): \(field).auth-provider is not supported; use an exec plugin instead")
            }
            tls.clientCertificatePEM = try pemData(
                inline: user.clientCertificateData, path: user.clientCertificate, file: userFile,
                field: "\(field).client-certificate")
            tls.clientKeyPEM = try pemData(
                inline: user.clientKeyData, path: user.clientKey, file: userFile, field: "\(field).client-key")
            if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
                throw KubeConfigError(
                    code: .missingField,
                    message: "\(source): \(field) has a client certificate or a client key but not both")
            }
            if let exec = user.exec {
                guard let command = exec.command, !command.isEmpty else {
                    throw KubeConfigError(code: .missingField, message: "\(source): \(field).exec.command is required")
                }
                let apiVersion = exec.apiVersion ?? ""
                guard apiVersion == "client.authentication.k8s.io/v1" || apiVersion == "client.authentication.k8s.io/v1beta1"
                else {
                    throw KubeConfigError(
                        code: .unsupported,
                        message: "\(source): \(field).exec.apiVersion \"\(apiVersion)\" is not supported; "
                            + "use client.authentication.k8s.io/v1")
                }
                var env: [String: String] = [:]
                for variable in exec.env ?? [] { env[variable.name] = variable.value }
                auth = .exec(
                    ExecConfig(
                        apiVersion: apiVersion, command: command, args: exec.args ?? [], env: env,
                        baseEnvironment: environment, provideClusterInfo: exec.provideClusterInfo ?? false,
                        interactiveMode: exec.interactiveMode, installHint: exec.installHint,
                        directory: userFile.directory, clusterServer: server, clusterCAPEM: tls.caPEM,
                        clusterInsecureSkipVerify: tls.insecureSkipVerify, clusterTLSServerName: tls.serverName))
            } else if let token = user.token, !token.isEmpty {
                auth = .token(token)
            } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
                auth = .tokenFile(path: resolvePath(tokenFile, in: userFile.directory), refreshInterval: .seconds(60))
            } else if let username = user.username, !username.isEmpty {
                auth = .basic(username: username, password: user.password ?? "")
            }
        }
        let namespace = chosen.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return KubeConfig(
            server: server, tls: tls, namespace: namespace, auth: auth, contextName: contextName, source: source)
    }

    /// Inline base64 data wins over a file path, as in client-go.
    static func pemData(inline: String?, path: String?, file: ParsedKubeconfig, field: String) throws -> Data? {
        if let inline, !inline.isEmpty {
            let compact = inline.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw KubeConfigError(code: .malformed, message: "\(file.path): \(field)-data is not valid base64")
            }
            return data
        }
        guard let path, !path.isEmpty else { return nil }
        let resolved = resolvePath(path, in: file.directory)
        do {
            return try Data(contentsOf: URL(fileURLWithPath: resolved))
        } catch {
            throw KubeConfigError(code: .unreadable, message: "\(file.path): cannot read \(field) \(resolved)", cause: error)
        }
    }

    static func resolvePath(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : directory + (directory.hasSuffix("/") ? "" : "/") + path
    }
}
