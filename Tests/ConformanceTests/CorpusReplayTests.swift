import Foundation
import KubeTestSupport
import Testing

/// Replays the kube-apiserver corpus (`test/kube-api-corpus`, issue 10) against the API test server:
/// one fresh server per case, every step over HTTPS with the project's libcurl client, answers
/// normalised as the corpus README says and compared exactly; recorded answers must also decode
/// with KubeClient's models.
@Suite("kube-api corpus replay")
struct CorpusReplayTests {
    private static let printDeviations: Void = print(Deviations.summary + "\n" + KnownGaps.summary)

    @Test("corpus case", arguments: CorpusCase.fileNames)
    func replay(_ fileName: String) async throws {
        _ = Self.printDeviations
        let corpusCase = try CorpusCase.load(fileName)
        let server = try await CorpusReplayer.startServer()
        // The admission cases were recorded with a validating webhook registered: it answers as recorded.
        var webhook: ScriptedAdmissionWebhook?
        if corpusCase.json["webhookConfiguration"] != nil {
            webhook = try await ScriptedAdmissionWebhook.start(path: "/capture")
        }
        var replayer = CorpusReplayer(corpusCase: corpusCase, server: server, webhook: webhook)
        do {
            try await replayer.run()
        } catch {
            await server.shutdown()
            await webhook?.shutdown()
            throw error
        }
        await server.shutdown()
        await webhook?.shutdown()
        let failures = replayer.failures
        print("corpus \(corpusCase.name): \(failures.isEmpty ? "equal" : "\(failures.count) differing steps")")
        if let directory = ProcessInfo.processInfo.environment["CORPUS_FAILURES_DIR"] {
            // Every difference of the case, for working through them (the issues show the first few).
            let text = failures.joined(separator: "\n")
            try? text.write(toFile: directory + "/" + corpusCase.name + ".txt", atomically: true, encoding: .utf8)
        }
        let record = {
            for failure in failures.prefix(8) { Issue.record("\(corpusCase.name): \(failure)") }
            if failures.count > 8 { Issue.record("\(corpusCase.name): \(failures.count - 8) more failing steps") }
        }
        if let gap = KnownGaps.cases[corpusCase.name] {
            withKnownIssue("known test-server gap: \(gap)") { record() }
        } else {
            record()
        }
    }

    @Test("every corpus case file is found")
    func corpusIsPresent() {
        #expect(CorpusCase.fileNames.count == 69)
    }
}
