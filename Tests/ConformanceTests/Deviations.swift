/// Every deliberate difference between the API test server and the recorded kube-apiserver, in one
/// place. Only features this project never uses may differ; each entry says why. Steps listed here
/// are not sent.
enum Deviations {
    struct Entry {
        var caseName: String
        /// Step titles; empty means the whole case.
        var steps: [String]
        var reason: String
    }

    static let entries: [Entry] = [
        Entry(
            caseName: "patch-apply",
            steps: [
                "apply without fieldManager", "apply creates the object",
                "another manager changes the same field: Conflict", "same with force=true", "apply on a custom resource",
            ],
            reason: "server-side apply: the operator never sends apply patches; the test server answers 415"),
        Entry(
            caseName: "discovery-groups", steps: ["GET /apis (groups trimmed)"],
            reason: "/apis lists only the groups the test server serves: events.k8s.io "
                + "(never called by the operator, which writes core/v1 Events) is absent"),
    ]

    static func skips(case caseName: String, step: String) -> Bool {
        entries.contains { $0.caseName == caseName && ($0.steps.isEmpty || $0.steps.contains(step)) }
    }

    /// The list as the test prints it.
    static var summary: String {
        "Corpus deviations (\(entries.count)):\n"
            + entries.map { "  - \($0.caseName) [\($0.steps.isEmpty ? "all steps" : $0.steps.joined(separator: "; "))]: \($0.reason)" }
            .joined(separator: "\n")
    }
}

/// Cases the test server does not answer like kube-apiserver yet. Not deviations: each is a test-server
/// gap to close. Swift Testing reports each as a known issue, and as a failure once the case passes, so
/// an entry is removed the moment its gap is closed. The test prints the list.
enum KnownGaps {
    static let cases: [String: String] = [:]

    static var summary: String {
        "Corpus known gaps (\(cases.count)):\n"
            + cases.sorted { $0.key < $1.key }.map { "  - \($0.key): \($0.value)" }.joined(separator: "\n")
    }
}
