import CRDModels
import HTTPServer
import Logging
import NIOPosix

/// Builds the webhook's HTTPS server: the caller decides where it listens and its limits; this wires the
/// admission handler behind it. The result is a `Service` for the process's ServiceGroup.
public enum WebhookServer {
    public static func make(
        configuration: HTTPServerConfiguration, ambientPolicy: AmbientCredentialsPolicy,
        claims: any SecretClaimLookup, logger: Logger
    ) -> HTTPServer {
        let webhook = AdmissionWebhook(ambientPolicy: ambientPolicy, claims: claims, logger: logger)
        // All connections on one event loop: a review takes tens of microseconds, so one thread answers thousands
        // per second, and the API server's few keep-alive connections spread over every core's loop made each
        // loop sleep and wake (epoll, context switches) for nearly every request.
        return HTTPServer(
            configuration: configuration, logger: logger, eventLoopGroup: MultiThreadedEventLoopGroup.singleton.next(),
            handler: WebhookMetrics.instrument(webhook.handler))
    }
}
