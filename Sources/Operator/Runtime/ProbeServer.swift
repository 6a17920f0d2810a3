import FoundationEssentials
import HTTPServer
import Logging

/// `/healthz`, `/readyz` and `/metrics` on one plain-HTTP listener (the probe and metrics
/// addresses may be the same or two listeners; each gets all three paths).
public enum ProbeServer {
    /// - Parameters:
    ///   - isReady: true once the caches have synced.
    ///   - metricsText: the Prometheus text exposition.
    public static func make(
        host: String, port: Int, logger: Logger, isReady: @escaping @Sendable () -> Bool,
        metricsText: @escaping @Sendable () -> String
    ) -> HTTPServer {
        let configuration = HTTPServerConfiguration(
            host: host, port: port, maxBodyBytes: 64 * 1024, headerReadTimeout: .seconds(5),
            bodyReadTimeout: .seconds(5), maxConnections: 64, name: "probes")
        return HTTPServer(configuration: configuration, logger: logger) { request in
            guard request.method == "GET" || request.method == "HEAD" else {
                return .text(.methodNotAllowed, "method not allowed")
            }
            switch request.path {
            case "/healthz", "/livez": return .text(.ok, "ok")
            case "/readyz":
                return isReady() ? .text(.ok, "ok") : .text(.serviceUnavailable, "informers not synced")
            case "/metrics":
                var response = HTTPServerResponse.text(.ok, metricsText())
                response.headers.replaceOrAdd(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
                return response
            default: return .text(.notFound, "not found")
            }
        }
    }

    /// Splits `:8080`, `0.0.0.0:8080`, `[::1]:8080` into host and port (empty host: all interfaces).
    public static func parseBindAddress(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw OperatorError(
                code: .configuration, message: "bind address \"\(address)\" must be host:port or :port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
