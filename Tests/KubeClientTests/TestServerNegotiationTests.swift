import CRDModels
import Testing

@testable import KubeTestSupport

/// The test server's Accept parameters and label selectors, read in place (no dictionary per request or watcher):
/// the rules the dictionary forms had.
@Suite struct TestServerNegotiationTests {
    private func version(_ accept: String) throws -> String? {
        try MediaNegotiation.metadataVersion(MediaNegotiation.alternatives(accept), wanted: "PartialObjectMetadata")
    }

    @Test func acceptAlternativesAreCutAndTrimmed() {
        #expect(MediaNegotiation.alternatives(nil) == nil)
        #expect(MediaNegotiation.alternatives("  ") == nil)
        #expect(
            MediaNegotiation.alternatives(" application/json ; as=X ;g=meta.k8s.io,,*/*")
                == [["application/json", "as=X", "g=meta.k8s.io"], ["*/*"]])
    }

    @Test func metadataParametersFollowTheDictionaryRules() throws {
        #expect(try version("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1") == "v1")
        #expect(try version("application/json;AS=PartialObjectMetadata;G=meta.k8s.io;V=v1beta1") == "v1beta1")
        // The last of a parameter wins.
        #expect(try version("application/json;as=Table;as=PartialObjectMetadata;g=meta.k8s.io;v=v2;v=v1") == "v1")
        // No `as`: the full object; a parameter without a value or a name is none.
        #expect(try version("application/json;as=;g=meta.k8s.io;v=v1") == nil)
        #expect(try version("application/json;=PartialObjectMetadata;g=meta.k8s.io;v=v1") == nil)
        // The value keeps everything after the first `=`.
        #expect(throws: APIError.self) { try version("application/json;as==PartialObjectMetadata;g=meta.k8s.io;v=v1") }
        // Another version or group is not the metadata form: the next alternative decides.
        #expect(try version("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2,application/json") == nil)
        #expect(throws: APIError.self) { try version("application/json;as=PartialObjectMetadata;g=other;v=v1") }
    }

    @Test func labelSelectorsReadTheObjectsLabels() throws {
        let object: JSONValue = .object([
            "metadata": .object(["labels": .object(["app": .string("web"), "tier": .string("1"), "odd": .bool(true)])])
        ])
        func matches(_ selector: String, _ object: JSONValue) throws -> Bool {
            try LabelQuery.parse(selector).matches(object: object)
        }
        #expect(try matches("app=web", object))
        #expect(try matches("app=web,tier>0", object))
        #expect(try !matches("app=db", object))
        #expect(try matches("missing!=x", object))
        #expect(try matches("!missing", object))
        // A label value that is not a string is no label, as `LabelQuery.labels(of:)` reads it.
        #expect(try !matches("odd", object))
        #expect(try matches("!odd", object))
        #expect(try matches("app notin (db)", .object([:])))
        #expect(try !matches("app in (web)", .object([:])))
        #expect(try matches("", .object([:])))
    }
}
