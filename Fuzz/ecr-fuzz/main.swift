// The libFuzzer callback. `hack/fuzz.sh` builds this with `-sanitize=fuzzer,address -parse-as-library`;
// CFuzzEntry's `ecr_fuzz_main` then runs libFuzzer's driver, and `FUZZ_TARGET` picks the target. The normal
// build compiles it as a program that does nothing, so the harness keeps compiling with the code it fuzzes.
import Foundation
import FuzzTargets

enum Selected {
    static let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTargets.named(name) else {
            fatalError("FUZZ_TARGET must be one of \(FuzzTargets.all.map(\.name)), got '\(name)'")
        }
        return target
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    Selected.target.run(data)
    return 0
}
