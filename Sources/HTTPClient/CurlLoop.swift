import CCurl
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The thread that owns a `CURLM` handle and every transfer added to it.
///
/// Other threads only enqueue work (`submit`, `cancel`, `stop`) under a mutex and wake the loop through an
/// eventfd when it sleeps; all libcurl calls on the handles in the multi handle happen on this thread, as
/// libcurl requires.
///
/// The loop drives libcurl's event API (`curl_multi_socket_action`) from an epoll set that libcurl's socket
/// callback maintains: each pass hands libcurl only the sockets that are ready, with their readiness, and its
/// timer when due. `curl_multi_perform` instead visits every transfer on every pass, and libcurl 7.88 makes a
/// transfer that is not told its socket's state `poll()` it (`Curl_readwrite`): writing 3,000 Secrets at 16 at a
/// time that came to 5.6 `poll` calls per request, plus one over every socket per pass (`curl_multi_poll`).
final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        /// Jobs of tasks that prefer this loop as their executor.
        var jobs: [UnownedJob] = []
        var stopping = false
        /// The loop is in (or about to enter) `epoll_wait` with nothing queued: whoever queues next
        /// wakes it and clears this, so a busy loop, which looks at the inbox before it sleeps, gets no
        /// wakeup (a write to the eventfd, and a spurious pass through the loop) per request.
        var sleeping = false

        /// Marks the loop asleep if nothing is queued; false when there is work to take first.
        mutating func sleepIfEmpty() -> Bool {
            guard additions.isEmpty, cancellations.isEmpty, jobs.isEmpty, !stopping else { return false }
            sleeping = true
            return true
        }

        /// Whether the caller, having queued something, must wake the loop.
        mutating func takeWakeup() -> Bool {
            defer { sleeping = false }
            return sleeping
        }
    }

    /// Touched only by the loop thread.
    private let multi: UnsafeMutableRawPointer
    /// The sockets libcurl asked to watch, and `wakeup`; touched only by the loop thread (libcurl's socket
    /// callback runs on it).
    private let epoll: Int32
    /// Written by any thread to wake the loop from `epoll_wait`.
    private let wakeup: Int32
    /// The sockets in the epoll set besides `wakeup`; loop thread only.
    private var watched: Set<Int32> = []
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)` (its timer callback); loop thread only.
    private var timerDeadline: ContinuousClock.Instant?
    /// Guards the inbox and every transfer's `phase`.
    private let inbox = Mutex(Inbox())
    /// The loop thread's name (in `top -H`, `perf`, and what tasks that prefer the loop see).
    static let threadName = "curl-loop"
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
        epoll = ccurl_epoll_create()
        wakeup = ccurl_eventfd()
        precondition(epoll >= 0 && wakeup >= 0, "epoll_create1 or eventfd failed: \(errno)")
        precondition(ccurl_epoll_watch(epoll, wakeup, CURL_POLL_IN, 0) == 0, "epoll_ctl failed: \(errno)")
        // `self` outlives the multi handle: the loop thread holds it until it cleans the handle up.
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socketfunction(multi, Self.socketCallback)
        _ = ccurl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, context)
        _ = ccurl_multi_setopt_timerfunction(multi, Self.timerCallback)
        _ = ccurl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, context)
        startThread { [self] in
            ccurl_name_this_thread(Self.threadName)
            run()
        }
    }

    /// The descriptors close with the loop object, not when its thread ends: `stop` may still write to `wakeup`
    /// after the thread has seen `stopping` and returned.
    deinit {
        close(epoll)
        close(wakeup)
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
            if wake { wakeLoop() }
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
        if wake { wakeLoop() }
    }

    /// Fails every transfer still running and ends the thread.
    func stop() {
        inbox.withLock {
            $0.stopping = true
            $0.sleeping = false
        }
        wakeLoop()
    }

    private func wakeLoop() {
        var one: UInt64 = 1
        _ = write(wakeup, &one, 8)
    }

    // MARK: Loop thread

    private func run() {
        var active: [ObjectIdentifier: CurlTransfer] = [:]
        var running: Int32 = 0
        let capacity = 64
        var readyFDs = [Int32](repeating: 0, count: capacity)
        var readyMasks = [Int32](repeating: 0, count: capacity)
        while true {
            let (additions, cancellations, jobs, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.additions = []
                    inbox.cancellations = []
                    inbox.jobs = []
                    inbox.sleeping = false
                }
                return (inbox.additions, inbox.cancellations, inbox.jobs, inbox.stopping)
            }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
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

            // libcurl's timer: connection and request timeouts, and a new transfer's first step (a timer of 0).
            if let deadline = timerDeadline, deadline <= .now {
                timerDeadline = nil
                curl_multi_socket_action(multi, ccurl_socket_timeout, 0, &running)
            }
            collectCompleted(active: &active)
            let headerDeadline = expireHeaderDeadlines(active: &active)

            // With work queued while this pass ran, only look at the sockets (so a stream of jobs cannot starve
            // them) and take the work next, rather than sleep and be woken.
            var timeout = 0
            if inbox.withLock({ $0.sleepIfEmpty() }) {
                timeout = 1000
                let now = ContinuousClock.now
                for deadline in [timerDeadline, headerDeadline].compactMap({ $0 }) {
                    // Rounded up: 0 ms before a deadline less than 1 ms away would spin until it passes.
                    timeout = min(timeout, max(0, Int((now.duration(to: deadline).nanoseconds + 999_999) / 1_000_000)))
                }
            }
            let count = readyFDs.withUnsafeMutableBufferPointer { fds in
                readyMasks.withUnsafeMutableBufferPointer { masks in
                    ccurl_epoll_wait(epoll, fds.baseAddress, masks.baseAddress, Int32(capacity), Int32(timeout))
                }
            }
            for index in 0..<max(0, Int(count)) {
                if readyFDs[index] == wakeup {
                    var value: UInt64 = 0
                    _ = read(wakeup, &value, 8)
                } else {
                    curl_multi_socket_action(multi, readyFDs[index], readyMasks[index], &running)
                }
            }
            collectCompleted(active: &active)
        }
    }

    /// libcurl's socket callback (on the loop thread, inside its calls): keep the epoll set as it asks.
    private static let socketCallback: curl_socket_callback = { _, socket, what, context, _ in
        let loop = Unmanaged<CurlLoop>.fromOpaque(context!).takeUnretainedValue()
        if what == CURL_POLL_REMOVE {
            ccurl_epoll_forget(loop.epoll, socket)
            loop.watched.remove(socket)
            return 0
        }
        let known = loop.watched.contains(socket)
        guard ccurl_epoll_watch(loop.epoll, socket, what, known ? 1 : 0) == 0 else {
            return -1  // libcurl then fails its transfers (7.88: all of them) rather than leave them waiting forever
        }
        if !known { loop.watched.insert(socket) }
        return 0
    }

    /// libcurl's timer callback (on the loop thread): when to call it with `CURL_SOCKET_TIMEOUT`; -1 cancels.
    private static let timerCallback: curl_multi_timer_callback = { _, milliseconds, context in
        let loop = Unmanaged<CurlLoop>.fromOpaque(context!).takeUnretainedValue()
        loop.timerDeadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
        return 0
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

/// The loop as a task executor: tasks that prefer it run between its passes, so a request is submitted, and its
/// answer handed to the task that awaits it, on one thread, with no wake-up of another thread in either direction.
extension CurlLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = inbox.withLock { inbox -> Bool? in
            guard !inbox.stopping else { return nil }
            inbox.jobs.append(job)
            return inbox.takeWakeup()
        }
        switch wake {
        case nil: globalConcurrentExecutor.enqueue(ExecutorJob(job))  // the loop has stopped: run it elsewhere
        case true?: wakeLoop()
        case false?: break
        }
    }
}
