import Foundation

extension KubeAPITestServer {
    /// A kubeconfig for this server (context `kube-api-test-server`). With `user` nil it
    /// authenticates with the bearer token; with a user name (TLS only) with a client certificate
    /// whose CN is that user. The CA is embedded, so kubectl verifies the server. Note that kubectl
    /// (clientcmd) sends bearer tokens only over TLS (kubernetes/kubectl#744): for kubectl over
    /// plain HTTP, start the server with `token: nil`.
    public func kubeconfigYAML(user: String? = nil) throws -> String {
        var cluster = "    server: \(baseURL)\n"
        if let caPEM { cluster += "    certificate-authority-data: \(caPEM.base64EncodedString())\n" }
        var credentials = ""
        if let user {
            let pair = try clientCertificate(user: user)
            credentials += "    client-certificate-data: \(pair.certificatePEM.base64EncodedString())\n"
            credentials += "    client-key-data: \(pair.keyPEM.base64EncodedString())\n"
        } else if let token {
            credentials += "    token: \(token)\n"
        }
        if credentials.isEmpty { credentials = "    {}\n" }
        let userName = user ?? "test-user"
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-api-test-server
              cluster:
            \(cluster)users:
            - name: \(userName)
              user:
            \(credentials)contexts:
            - name: kube-api-test-server
              context:
                cluster: kube-api-test-server
                user: \(userName)
                namespace: default
            current-context: kube-api-test-server

            """
    }

    /// Writes `kubeconfigYAML(user:)` to `path` (mode 0600: it holds credentials).
    public func writeKubeconfig(to path: String, user: String? = nil) throws {
        let data = Data(try kubeconfigYAML(user: user).utf8)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw CRDLoader.LoadError(path: path, message: "cannot write the kubeconfig")
        }
    }

    /// A client certificate and key signed by the server's client CA, with CN `user` and an `O=` for each
    /// group (TLS only). The default group `system:masters` makes it an admin, as kubeadm's admin.conf is.
    public func clientCertificate(
        user: String, groups: [String] = ["system:masters"]
    ) throws -> (certificatePEM: Data, keyPEM: Data) {
        guard let tlsMaterial else {
            throw APIError(
                code: 400, reason: "BadRequest", message: "client certificates need a server started with tls: true")
        }
        let pair = try tlsMaterial.clientCertificate(user: user, groups: groups)
        access.authenticator.addCertificateUser(commonName: user, groups: groups)
        return pair
    }
}
