import CRDModels
import HTTPServer
import Logging

/// Builds the webhook's HTTPS server: the caller decides where it listens and its limits; this wires the
/// admission handler behind it. The result is a `Service` for the process's ServiceGroup.
public enum WebhookServer {
    public static func make(
        configuration: HTTPServerConfiguration, ambientPolicy: AmbientCredentialsPolicy,
        claims: any SecretClaimLookup, logger: Logger
    ) -> HTTPServer {
        let webhook = AdmissionWebhook(ambientPolicy: ambientPolicy, claims: claims, logger: logger)
        return HTTPServer(
            configuration: configuration, logger: logger,
            responder: .synchronous(WebhookMetrics.instrument(webhook.handler)))
    }
}
