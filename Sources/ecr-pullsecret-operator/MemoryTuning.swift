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
        // `mallopt` is not in Swift's Glibc module; look it up in libc. Values from glibc's <malloc.h>.
        let trimThreshold: Int32 = -1
        let mmapThreshold: Int32 = -3
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(mmapThreshold, 64 * 1024)
        _ = mallopt(trimThreshold, 128 * 1024)
        #endif
    }
}
