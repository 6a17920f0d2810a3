import Foundation
import FuzzTargets
import Testing

/// Every fuzz target's seeds (`Fuzz/Corpus/<target>`) and every input a fuzzer found crashing
/// (`Fuzz/Regressions/<target>`, saved by `hack/fuzz.sh`) run through the target once more: a crash found
/// once stays a failing test until it is fixed.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: String) throws -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func seedsAndSavedCrashesRunCleanly(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = try Self.inputs("Corpus", name)
        #expect(!seeds.isEmpty, "Fuzz/Corpus/\(name) has no seeds")
        for input in try seeds + Self.inputs("Regressions", name) {
            target.run(try Data(contentsOf: input))
        }
    }

    @Test func everyTargetHasItsDirectories() throws {
        let corpora = try FileManager.default.contentsOfDirectory(
            atPath: Self.fuzzDirectory.appendingPathComponent("Corpus").path)
        #expect(Set(corpora) == Set(FuzzTargets.all.map(\.name)))
    }
}
