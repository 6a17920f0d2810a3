import CCurl
import Synchronization

/// Easy handles kept between requests, so a request does not pay for `curl_easy_init` and
/// `curl_easy_cleanup` (and the buffers libcurl allocates on a handle's first transfer).
///
/// A returned handle is `curl_easy_reset` first: in libcurl 7.88 that frees every string, list and blob
/// option and sets every option back to its default (`Curl_freeset`, then `data->set` zeroed and
/// `Curl_init_userdefined`): URL, method, body (`COPYPOSTFIELDS`), headers, timeouts, TLS settings,
/// callbacks and their data, `PRIVATE`, `ERRORBUFFER`; it also clears the request state, progress, info and
/// authentication state. It keeps what is meant to be shared: the download and upload buffers, and the
/// connection, DNS and TLS session caches (which belong to the multi handle while a transfer is in it).
///
/// Any thread may take and return handles; a handle is used by one transfer at a time.
final class CurlHandlePool: Sendable {
    private struct Idle: @unchecked Sendable {
        var handles: [UnsafeMutableRawPointer] = []
        var closed = false
    }

    private let idle = Mutex(Idle())
    /// Handles kept idle at most; a burst beyond it frees the extra handles as they finish.
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// An idle handle, or a new one.
    func take() -> UnsafeMutableRawPointer? {
        let reused = idle.withLock { idle -> EasyHandle? in idle.handles.popLast().map(EasyHandle.init) }
        if let reused { return reused.pointer }
        CurlGlobal.initialize()
        return curl_easy_init()
    }

    /// Takes back a handle that is in no multi handle; frees it when the pool is full or closed.
    func giveBack(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        let easy = EasyHandle(pointer: handle)
        let kept = idle.withLock { idle -> Bool in
            guard !idle.closed, idle.handles.count < capacity else { return false }
            idle.handles.append(easy.pointer)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }

    /// Frees the idle handles; handles given back later are freed at once.
    func close() {
        let handles = idle.withLock { idle -> [EasyHandle] in
            idle.closed = true
            defer { idle.handles = [] }
            return idle.handles.map(EasyHandle.init)
        }
        for handle in handles { curl_easy_cleanup(handle.pointer) }
    }

    /// A handle crossing the mutex: only one transfer (on one thread at a time) uses it.
    private struct EasyHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }
}
