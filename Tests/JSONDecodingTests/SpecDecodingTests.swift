import CRDModels
import Foundation
import JSONDecodingTestSupport
import Testing

@testable import JSONDecoding

/// `FlatJSONDecoder`'s direct readers of the two kinds' specs against their synthesized `init(from:)` under
/// Foundation's `JSONDecoder`: the same values and the same errors (kind and coding path) for every spec the recorded
/// kube-apiserver sent, for specs with every field set, with each of their members (at any depth) made wrong in
/// every way or removed, with pairs of them made wrong (the first one read fails), and for hand-picked edge cases.
struct SpecDecodingTests {
    /// A spec nested as in an object, so the coding paths of errors start above it.
    struct Object<Spec: Codable & Equatable>: Codable, Equatable {
        var spec: Spec
        var other: Spec?
    }

    /// Both decoders' outcomes for `body` as either kind's spec, nested and at the root; whether all agreed.
    @discardableResult
    static func expectAlike(_ spec: Data, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        var agreed = true
        func compare<T: Decodable & Equatable>(_ type: T.Type, _ body: Data) {
            let flat = DecodingComparison.outcome(T.self, body, flat: true)
            let foundation = DecodingComparison.outcome(T.self, body, flat: false)
            guard flat != foundation else { return }
            agreed = false
            Issue.record(
                "\(T.self): \(String(decoding: body, as: UTF8.self))\nflat: \(flat)\nfoundation: \(foundation)",
                sourceLocation: sourceLocation)
        }
        let nested = Data(#"{"spec":"#.utf8) + spec + Data(#","other":"#.utf8) + spec + Data("}".utf8)
        for body in [spec, nested] {
            compare(AWSECRImagePullSecretSpec.self, body)
            compare(ClusterAWSECRImagePullSecretSpec.self, body)
            compare(Object<AWSECRImagePullSecretSpec>.self, body)
            compare(Object<ClusterAWSECRImagePullSecretSpec>.self, body)
        }
        return agreed
    }

    static func expectAlike(_ spec: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectAlike(try spec.serialized(), sourceLocation: sourceLocation)
    }

    /// Every distinct spec in the recorded corpus (the two kinds', and Leases', Namespaces' and reviews', which fail
    /// alike).
    static let corpusSpecs = ObjectMetaDecodingTests.corpusObjects(named: "spec")

    /// Specs with every field set (members not in declaration order; the cluster one in the namespaced kind's spec is
    /// a spec with unknown members).
    static let fullSpecs: [String] = [
        #"""
        {"serviceAccounts":["default","builder"],"refreshInterval":"1h30m","secretName":"ecr-login",
         "registries":[{"region":"eu-west-1","accountID":"123456789012"},{"accountID":"210987654321"}],
         "ecrPublic":true,"secretTemplate":{"annotations":{"team":"a"},"labels":{"app":"web","tier":"x"}},
         "awsAccess":{"externalID":"ext","roleARN":"arn:aws:iam::123456789012:role/pull","region":"us-west-2",
           "secretRef":{"sessionTokenKey":"t","secretAccessKeyKey":"s","accessKeyIdKey":"a","namespace":"ns",
             "name":"aws-creds"}}}
        """#,
        #"""
        {"namespaceSelector":{"matchExpressions":[{"values":["a","b"],"operator":"In","key":"team"},
           {"key":"env","operator":"Exists"}],"matchLabels":{"ecr":"yes"}},
         "namespaces":["team-a","team-b"],"secretName":"ecr-login","ecrPublic":false,
         "awsAccess":{"secretAccessKey":"inline-secret","accessKeyId":"AKIDEXAMPLE","region":"eu-central-1"},
         "registries":[],"refreshInterval":"6h","serviceAccounts":[],"secretTemplate":{}}
        """#,
    ]

    @Test func corpusSpecsDecodeAlike() throws {
        #expect(Self.corpusSpecs.count > 40)
        #expect(Self.corpusSpecs.contains { $0["awsAccess"]?["secretRef"] != nil })
        for spec in Self.corpusSpecs {
            try Self.expectAlike(spec)
        }
        for spec in Self.fullSpecs {
            Self.expectAlike(Data(spec.utf8))
        }
        // The full specs decode, with every field.
        let full = try FlatJSONDecoder().decode(AWSECRImagePullSecretSpec.self, from: Data(Self.fullSpecs[0].utf8))
        #expect(full.awsAccess.secretRef?.sessionTokenKey == "t")
        #expect(full.registries?.first == RegistrySpec(accountID: "123456789012", region: "eu-west-1"))
        #expect(full.secretTemplate?.labels == ["app": "web", "tier": "x"])
        let cluster = try FlatJSONDecoder().decode(
            ClusterAWSECRImagePullSecretSpec.self, from: Data(Self.fullSpecs[1].utf8))
        #expect(cluster.namespaceSelector?.matchExpressions?.first?.values == ["a", "b"])
        #expect(cluster.awsAccess.accessKeyId == "AKIDEXAMPLE")
    }

    /// The specs' `[String: String]` members.
    static let maps: Set<String> = ["labels", "annotations", "matchLabels"]

    static let wrongValues: [JSONValue?] = [
        nil, .null, .bool(true), .number(7), .number(1.5), .string("x"), .array([]), .array([.number(1)]),
        .array([.null]), .object([:]), .object(["a": .number(1)]),
    ]

    /// Every member and element (at any depth) of each full spec and each distinct shape of corpus spec replaced by
    /// a value of every JSON type, or removed.
    @Test func everyMemberMadeWrongFailsAlike() throws {
        var shapes: Set<String> = []
        let seeds = try Self.fullSpecs.map { try JSONValue.parse(Data($0.utf8)) }
            + Self.corpusSpecs.filter { shapes.insert(Self.shape($0)).inserted }
        var compared = 0
        for seed in seeds {
            for path in Self.paths(in: seed) {
                for wrong in Self.wrongValues {
                    compared += 1
                    guard Self.expectAlike(try Self.replacing(seed, path[...], with: wrong).serialized()) else {
                        return
                    }
                }
            }
        }
        #expect(compared > 1_000)
    }

    /// Pairs of the full specs' members made wrong: the one the synthesized `init(from:)` reads first fails.
    @Test func pairsOfWrongMembersFailOnTheFirstRead() throws {
        var compared = 0
        for spec in Self.fullSpecs {
            let seed = try JSONValue.parse(Data(spec.utf8))
            let paths = Self.paths(in: seed)
            for (index, first) in paths.enumerated() {
                // Two bad values in one map: Foundation reports the first in its dictionary's (random) order.
                for second in paths[(index + 1)...]
                where !(first.dropLast() == second.dropLast() && Self.maps.contains(first.dropLast().last ?? "")) {
                    for wrong in [nil, .number(42)] as [JSONValue?] {
                        let mutated = Self.replacing(
                            Self.replacing(seed, first[...], with: wrong), second[...], with: wrong)
                        compared += 1
                        guard Self.expectAlike(try mutated.serialized()) else { return }
                    }
                }
            }
        }
        #expect(compared > 500)
    }

    @Test(arguments: [
        // Unknown members, at every level, and one (ecrPublic) that the namespaced kind does not read.
        #"{"secretName":"s","awsAccess":{"region":"r","bogus":{"x":[1,2]}},"extra":null,"namespaces":5}"#,
        #"{"secretName":"s","awsAccess":{"region":"r"},"namespaceSelector":{"matchLabels":null,"x":1}}"#,
        // Duplicate keys: the first one counts, as JSONDecoder reads them.
        #"{"secretName":"a","secretName":"b","awsAccess":{"region":"r"}}"#,
        #"{"secretName":1,"secretName":"b","awsAccess":{"region":"r"}}"#,
        #"{"secretName":"a","secretName":1,"awsAccess":{"region":"r","region":null}}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"awsAccess":7}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"secretTemplate":{"labels":{"a":"1","a":2}}}"#,
        // Escapes in member names and values.
        #"{"secret\u004eame":"\u00e9\ud83d\ude00\n\"","aws\u0041ccess":{"\u0072egion":"r\/s"}}"#,
        #"{"secretName":"a","awsAccess":{"region":"r","secretRef":{"n\u0061me":"\\"}},"#
            + #""registries":[{"accountID":"\u0031"}]}"#,
        // Huge and odd numbers where values of other types are read, and in unknown members.
        #"{"secretName":"a","awsAccess":{"region":"r"},"ecrPublic":1e400,"x":1e400}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"registries":[1e400],"serviceAccounts":[-0.0]}"#,
        #"{"secretName":"a","awsAccess":{"region":"r","bogus":123456789012345678901234567890}}"#,
        // More members than `FlatJSON.indexThreshold` (the generic lookups then use an index), with a duplicate.
        #"{"m1":1,"m2":2,"m3":3,"m4":4,"m5":5,"m6":6,"m7":7,"m8":8,"m9":9,"m10":10,"m11":11,"m12":12,"m13":13,"#
            + #""m14":14,"m15":15,"m16":16,"m17":17,"secretName":"a","secretName":2,"awsAccess":{"region":"r"}}"#,
        // Empty, null, wrong containers, trailing commas.
        #"{}"#, #"null"#, #"[]"#, #""spec""#, #"{"secretName":"a","awsAccess":null}"#,
        #"{"secretName":"a","awsAccess":{"region":"r",},"registries":[{"accountID":"1"},],}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"refreshInterval":"not a duration","ecrPublic":null}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"namespaceSelector":{"matchExpressions":[{"key":"k"}]}}"#,
        #"{"secretName":"a","awsAccess":{"region":"r"},"namespaceSelector":{"matchExpressions":[{"operator":1}]}}"#,
    ])
    func edgeCasesDecodeAlike(_ text: String) {
        Self.expectAlike(Data(text.utf8))
    }

    // MARK: Helpers

    /// The member names of `value`'s objects, at every depth, as one string.
    static func shape(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            "{" + members.keys.sorted().map { "\($0):\(shape(members[$0]!))" }.joined(separator: ",") + "}"
        case .array(let elements): "[" + elements.map(shape).joined(separator: ",") + "]"
        default: "."
        }
    }

    /// The path of every member and element in `value`, at any depth (an element by its index as a string).
    static func paths(in value: JSONValue) -> [[String]] {
        switch value {
        case .object(let members):
            members.keys.sorted().flatMap { name in [[name]] + paths(in: members[name]!).map { [name] + $0 } }
        case .array(let elements):
            elements.indices.flatMap { index in [["\(index)"]] + paths(in: elements[index]).map { ["\(index)"] + $0 } }
        default: []
        }
    }

    /// `value` with the member or element at `path` replaced by `replacement` (nil: removed; an element: null).
    static func replacing(_ value: JSONValue, _ path: ArraySlice<String>, with replacement: JSONValue?) -> JSONValue {
        guard let first = path.first else { return replacement ?? .null }
        switch value {
        case .object(var members):
            if path.count == 1 {
                members[first] = replacement
            } else if let inner = members[first] {
                members[first] = replacing(inner, path.dropFirst(), with: replacement)
            }
            return .object(members)
        case .array(var elements):
            guard let index = Int(first), elements.indices.contains(index) else { return value }
            elements[index] = replacing(elements[index], path.dropFirst(), with: replacement)
            return .array(elements)
        default:
            return value
        }
    }
}
