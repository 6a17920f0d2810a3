import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Lets memory freed after a burst go back to the system (glibc only).
///
/// glibc raises its mmap threshold each time a large block is freed, so after a burst of large request
/// bodies (an attack of stalled 256 KiB bodies, say) later ones come from the heap arenas, which keep the
/// pages. Fixed thresholds keep every block of 64 KiB or more mmapped (returned on free) and trim arenas
/// whose free top exceeds 128 KiB: measured with `ecr-bench webhook-attack --body-bytes 250000`, RSS after
/// the attack went from 15 MiB above idle to 6 MiB.
enum MemoryTuning {
    static func apply() {
        #if canImport(Glibc)
        // Values from glibc's <malloc.h>.
        let trimThreshold: Int32 = -1
        let mmapThreshold: Int32 = -3
        guard let mallopt = libc("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        _ = mallopt(mmapThreshold, 64 * 1024)
        _ = mallopt(trimThreshold, 128 * 1024)
        #endif
    }

    #if canImport(Glibc)
    /// A libc function that Swift's Glibc module does not import (`mallopt`, `malloc_trim`: <malloc.h>).
    private static func libc<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
    #endif
}

extension MemoryTuning {
    /// Returns malloc's free pages to the system (`malloc_trim(0)`, glibc only): freed fragments inside the
    /// arenas, which neither threshold above releases.
    static func trim() {
        #if canImport(Glibc)
        guard let mallocTrim = libc("malloc_trim", as: (@convention(c) (Int) -> Int32).self) else { return }
        _ = mallocTrim(0)
        #endif
    }

    /// Trims once the caches are synced, then every `interval`: decoding the initial lists (1,000
    /// namespaces, say) leaves megabytes of freed fragments in the arenas that glibc would otherwise keep.
    struct TrimService: Service {
        var interval: Duration = .seconds(60)
        let isReady: @Sendable () -> Bool

        func run() async throws {
            await cancelWhenGracefulShutdown {
                var trimmedOnce = false
                while !Task.isCancelled {
                    if isReady() {
                        trim()
                        trimmedOnce = true
                    }
                    try? await Task.sleep(for: trimmedOnce ? interval : .milliseconds(200))
                }
            }
        }
    }
}
