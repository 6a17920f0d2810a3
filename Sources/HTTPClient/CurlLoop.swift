import CCurl
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The thread that owns a `CURLM` handle and every transfer added to it.
///
/// Other threads only enqueue work (`submit`, `cancel`, `stop`) under a mutex and wake the loop with
/// `curl_multi_wakeup` when it sleeps in `curl_multi_poll`; all libcurl calls on the handles in the multi
/// handle happen on this thread, as libcurl requires.
final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
        /// The loop is in (or about to enter) `curl_multi_poll` with nothing queued: whoever queues next
        /// wakes it and clears this, so a busy loop, which looks at the inbox before it sleeps, gets no
        /// wakeup (a write to libcurl's socket pair, and a spurious pass through the loop) per request.
        var sleeping = false

        /// Marks the loop asleep if nothing is queued; false when there is work to take first.
        mutating func sleepIfEmpty() -> Bool {
            guard additions.isEmpty, cancellations.isEmpty, !stopping else { return false }
            sleeping = true
            return true
        }

        /// Whether the caller, having queued something, must wake the loop.
        mutating func takeWakeup() -> Bool {
            defer { sleeping = false }
            return sleeping
        }
    }

    /// Touched only by the loop thread, except `curl_multi_wakeup`, which libcurl makes thread-safe.
    private let multi: UnsafeMutableRawPointer
    /// Guards the inbox and every transfer's `phase`.
    private let inbox = Mutex(Inbox())
    /// Easy handles for this client's transfers.
    let handles: CurlHandlePool

    init(configuration: CurlHTTPClient.Configuration) {
        CurlGlobal.initialize()
        multi = curl_multi_init()
        // A burst's width: the connection limit, or when there is none the usual request budget.
        let burst = configuration.maxConnectionsPerHost > 0 ? configuration.maxConnectionsPerHost : 32
        handles = CurlHandlePool(capacity: burst)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        // Connections kept open, in use or idle. libcurl's default is 4x the easy handles added at the time;
        // with one handle per request that shrinks as a burst drains, closing connections (each a TLS
        // handshake) that the next burst opens again. Room for a full burst plus long-lived watch streams.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, burst + 8)
        startThread { [self] in run() }
    }

    /// Runs `body` on a new detached thread (pthreads: Foundation's `Thread` is not in FoundationEssentials).
    private func startThread(_ body: @escaping @Sendable () -> Void) {
        final class Start: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Start>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, start)
        precondition(status == 0, "pthread_create failed: \(status)")
        pthread_detach(thread)
    }

    func submit(_ transfer: CurlTransfer) {
        // nil: refused; otherwise whether the loop must be woken.
        let wake = inbox.withLock { inbox -> Bool? in
            guard transfer.phase == .new, !inbox.stopping else { return nil }
            transfer.phase = .submitted
            inbox.additions.append(transfer)
            return inbox.takeWakeup()
        }
        if let wake {
            if wake { curl_multi_wakeup(multi) }
        } else {
            // Cancelled before it started, or the client is shutting down.
            transfer.finish(error: HTTPClientError(code: .cancelled, message: "request cancelled"))
            transfer.cleanup()
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        let wake = inbox.withLock { inbox -> Bool in
            switch transfer.phase {
            case .new:
                transfer.phase = .cancelledEarly
                return false
            case .submitted:
                inbox.cancellations.append(transfer)
                return inbox.takeWakeup()
            case .cancelledEarly, .ended:
                return false
            }
        }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Fails every transfer still running and ends the thread.
    func stop() {
        inbox.withLock {
            $0.stopping = true
            $0.sleeping = false
        }
        curl_multi_wakeup(multi)
    }

    // MARK: Loop thread

    private func run() {
        var active: [ObjectIdentifier: CurlTransfer] = [:]
        var running: Int32 = 0
        while true {
            let (additions, cancellations, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.additions = []
                    inbox.cancellations = []
                    inbox.sleeping = false
                }
                return (inbox.additions, inbox.cancellations, inbox.stopping)
            }
            for transfer in additions { start(transfer, active: &active) }
            for transfer in cancellations {
                end(transfer, error: HTTPClientError(code: .cancelled, message: "request cancelled"), active: &active)
            }
            if stopping {
                for transfer in active.values {
                    end(transfer, error: HTTPClientError(code: .cancelled, message: "HTTP client shut down"), active: &active)
                }
                handles.close()
                curl_multi_cleanup(multi)
                return
            }

            curl_multi_perform(multi, &running)
            collectCompleted(active: &active)
            let headerDeadline = expireHeaderDeadlines(active: &active)

            // Work queued while this pass ran: take it now rather than sleep and be woken.
            guard inbox.withLock({ $0.sleepIfEmpty() }) else { continue }
            var timeout = 1000
            var curlTimeout = -1
            curl_multi_timeout(multi, &curlTimeout)
            if curlTimeout >= 0 { timeout = min(timeout, curlTimeout) }
            if let headerDeadline {
                let remaining = ContinuousClock.now.duration(to: headerDeadline).milliseconds
                timeout = min(timeout, max(0, Int(remaining)))
            }
            curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
        }
    }

    private func start(_ transfer: CurlTransfer, active: inout [ObjectIdentifier: CurlTransfer]) {
        active[ObjectIdentifier(transfer)] = transfer
        let code = curl_multi_add_handle(multi, transfer.handle)
        if code != CURLM_OK {
            let message = "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))"
            end(transfer, error: HTTPClientError(code: .transport, message: message), active: &active)
        }
    }

    /// Removes a transfer from the multi handle, resolves its waiters and frees it. Idempotent.
    private func end(_ transfer: CurlTransfer, error: HTTPClientError?, active: inout [ObjectIdentifier: CurlTransfer]) {
        guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        inbox.withLock { _ in transfer.phase = .ended }
        curl_multi_remove_handle(multi, transfer.handle)
        // The handle back in the pool before the waiter resumes, so the caller's next request can take it.
        transfer.cleanup()
        transfer.finish(error: error)
    }

    private func collectCompleted(active: inout [ObjectIdentifier: CurlTransfer]) {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            var context: UnsafeMutableRawPointer?
            ccurl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            let result = message.pointee.data.result
            end(transfer, error: result == CURLE_OK ? nil : Self.error(for: result, transfer: transfer), active: &active)
        }
    }

    /// Ends the streams still without headers at their deadline; returns the earliest deadline left.
    private func expireHeaderDeadlines(active: inout [ObjectIdentifier: CurlTransfer]) -> ContinuousClock.Instant? {
        var expired: [CurlTransfer] = []
        var earliest: ContinuousClock.Instant?
        let now = ContinuousClock.now
        for transfer in active.values where !transfer.headersComplete {
            guard let deadline = transfer.headerDeadline else { continue }
            if deadline <= now {
                expired.append(transfer)
            } else if earliest.map({ deadline < $0 }) ?? true {
                earliest = deadline
            }
        }
        for transfer in expired {
            end(transfer, error: HTTPClientError(code: .timedOut, message: "no response headers before the deadline"),
                active: &active)
        }
        return earliest
    }
    private static func error(for code: CURLcode, transfer: CurlTransfer) -> HTTPClientError {
        if let reason = transfer.abortReason { return reason }
        let detail = transfer.errorDetail
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: HTTPClientError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connectFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CLIENTCERT, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS:
            kind = .tls
        default: kind = .transport
        }
        return HTTPClientError(code: kind, message: message, curlCode: Int(code.rawValue))
    }
}
