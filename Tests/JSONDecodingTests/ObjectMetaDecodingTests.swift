import CRDModels
import Foundation
import JSONDecodingTestSupport
import Testing

@testable import JSONDecoding

/// `FlatJSONDecoder`'s direct `ObjectMeta` reader against the synthesized `init(from:)` under Foundation's
/// `JSONDecoder`: the same values and the same errors (kind and coding path) for every metadata the recorded
/// kube-apiserver sent, each of its members made wrong in every way, and hand-picked edge cases.
struct ObjectMetaDecodingTests {
    /// Metadata nested as in an answer, so the coding paths of errors start above it.
    struct Answer: Decodable, Equatable {
        var metadata: ObjectMeta
        var other: ObjectMeta?
    }

    /// The same, read as metadata-only answers read it.
    struct MetadataOnly: Decodable, Equatable {
        var metadata: ObjectMeta

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            metadata = try container.decode(ObjectMeta.WithoutManagedFields.self, forKey: .metadata).value
        }

        private enum CodingKeys: String, CodingKey { case metadata }
    }

    /// Both decoders' outcomes for `text` as `T` (and the metadata alone, at the root).
    static func expectAlike(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let body = Data(text.utf8)
        func compare<T: Decodable & Equatable>(_ type: T.Type, _ body: Data) {
            let flat = DecodingComparison.outcome(T.self, body, flat: true)
            let foundation = DecodingComparison.outcome(T.self, body, flat: false)
            #expect(flat == foundation, "\(T.self): \(text)", sourceLocation: sourceLocation)
        }
        compare(Answer.self, body)
        compare(MetadataOnly.self, body)
        if let metadata = try? JSONValue.parse(body)["metadata"], let data = try? metadata.serialized() {
            compare(ObjectMeta.self, data)
        }
    }

    /// Every distinct metadata object in the recorded corpus: answers, watch events and requests.
    static let corpusMetadata = corpusObjects(named: "metadata")

    /// Every distinct object in the recorded corpus that is the value of a member called `name`, at any depth.
    static func corpusObjects(named name: String) -> [JSONValue] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("test/kube-api-corpus/cases")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var found: [JSONValue] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let object = members[name], case .object = object { found.append(object) }
                members.values.forEach(collect)
            case .array(let elements): elements.forEach(collect)
            default: break
            }
        }
        for file in files.sorted() where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                let json = try? JSONValue.parse(data)
            else { continue }
            collect(json)
        }
        var distinct: Set<Data> = []
        return found.filter { (try? $0.serialized()).map { distinct.insert($0).inserted } ?? false }
    }

    /// `managedFields` as kube-apiserver v1.26 writes them for a Secret the operator updated (the corpus was
    /// recorded without them: its README strips them).
    static let managedFields = #"""
        [{"manager":"ecr-pullsecret-operator","operation":"Update","apiVersion":"v1","time":"2026-11-30T12:00:00Z",
          "fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:.dockerconfigjson":{}},
          "f:metadata":{"f:labels":{".":{},"f:app.kubernetes.io/managed-by":{},"f:ecr.aws/owner-uid":{}},
          "f:ownerReferences":{".":{},"k:{\"uid\":\"6d1c3a5e-1b9f-4f0e-9c1d-2a7b8e9f0a1b\"}":{}}},"f:type":{}}}]
        """#

    @Test func corpusMetadataDecodesAlike() throws {
        #expect(Self.corpusMetadata.count > 50)
        #expect(Self.corpusMetadata.contains { $0["ownerReferences"] != nil })
        let managedFields = try JSONValue.parse(Data(Self.managedFields.utf8))
        var shapes: Set<[String]> = []
        for metadata in Self.corpusMetadata {
            var variants = [metadata]
            // With a real server's managedFields: once per set of member names (Foundation's decode is slow).
            if shapes.insert(metadata.objectValue?.keys.sorted() ?? []).inserted {
                variants.append(metadata)
                variants[1]["managedFields"] = managedFields
            }
            for metadata in variants {
                let text = String(decoding: try JSONValue.object(["metadata": metadata]).serialized(), as: UTF8.self)
                Self.expectAlike(text)
            }
        }
    }

    /// Each member of each distinct corpus metadata replaced by a value of every other JSON type, and each owner
    /// reference's members likewise or removed.
    @Test func corpusMetadataWithAWrongMemberFailsAlike() throws {
        let wrongValues: [JSONValue] = [
            .null, .bool(true), .number(7), .number(1.5), .string("x"), .array([]), .array([.number(1)]),
            .object([:]), .object(["a": .number(1)]),
        ]
        var seen: Set<String> = []
        for metadata in Self.corpusMetadata {
            guard case .object(let members) = metadata else { continue }
            let shape = members.keys.sorted().joined(separator: ",")
            guard seen.insert(shape).inserted else { continue }
            for (name, value) in members {
                for wrong in wrongValues {
                    var mutated = members
                    mutated[name] = wrong
                    try expectAlike(mutated)
                }
                guard name == "ownerReferences", case .array(let owners) = value,
                    case .object(let owner)? = owners.first
                else { continue }
                for ownerMember in owner.keys {
                    for wrong in wrongValues + [nil] {
                        var changed = owner
                        changed[ownerMember] = wrong
                        var mutated = members
                        mutated[name] = .array([.object(owner), .object(changed)])
                        try expectAlike(mutated)
                    }
                }
            }
        }
        #expect(seen.count > 5)
    }

    private func expectAlike(_ members: [String: JSONValue]) throws {
        let text = String(decoding: try JSONValue.object(["metadata": .object(members)]).serialized(), as: UTF8.self)
        Self.expectAlike(text)
    }

    @Test(arguments: [
        #"{"metadata":{}}"#, #"{"metadata":null}"#, #"{"metadata":[]}"#, #"{"metadata":"x"}"#, #"{}"#,
        #"{"metadata":{"name":"a"},"other":null}"#, #"{"metadata":{"name":"a"},"other":{"uid":5}}"#,
        #"{"metadata":{"name":"a","name":"b"}}"#, #"{"metadata":{"name":1,"name":"b"}}"#,
        #"{"metadata":{"na\u006de":"escaped","\u006eamespace":"ns"}}"#,
        #"{"metadata":{"generation":1.0,"deletionGracePeriodSeconds":30}}"#, #"{"metadata":{"generation":1.5}}"#,
        #"{"metadata":{"generation":9223372036854775808}}"#, #"{"metadata":{"generation":"1"}}"#,
        #"{"metadata":{"uid":7,"name":7}}"#, #"{"metadata":{"finalizers":["a",1],"labels":{"a":1}}}"#,
        #"{"metadata":{"labels":{"a":"1","a":2},"annotations":{"b":null}}}"#,
        #"{"metadata":{"ownerReferences":[null]}}"#, #"{"metadata":{"ownerReferences":[{}]}}"#,
        #"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"n","uid":"u","controller":1}]}}"#,
        #"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"n","uid":null}]}}"#,
        #"{"metadata":{"ownerReferences":[{"kind":7,"name":"n","uid":"u"}]}}"#,
        #"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"n","uid":"u","controller":null}]}}"#,
        #"{"metadata":{"managedFields":[{"manager":"kubectl","fieldsV1":{"f:data":{}}}],"name":"a"}}"#,
        #"{"metadata":{"managedFields":[{"n":1e400}]}}"#, #"{"metadata":{"managedFields":{}}}"#,
        #"{"metadata":{"managedFields":null}}"#, #"{"metadata":{"managedFields":[1,"x",null,true,[]]}}"#,
        #"{"metadata":{"managedFields":"x","name":5}}"#, #"{"metadata":{"name":"a",}}"#,
    ])
    func edgeCasesDecodeAlike(_ text: String) {
        Self.expectAlike(text)
    }

    /// Metadata-only answers drop `managedFields`, and a malformed one still fails the decode at its path.
    @Test func metadataOnlyDropsManagedFieldsButChecksThem() throws {
        let good = #"{"metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:data":{}}}]}}"#
        let decoded = try FlatJSONDecoder().decode(MetadataOnly.self, from: Data(good.utf8))
        #expect(decoded.metadata == ObjectMeta(name: "a"))
        let full = try FlatJSONDecoder().decode(Answer.self, from: Data(good.utf8))
        #expect(full.metadata.managedFields?.count == 1)
        let bad = Data(#"{"metadata":{"name":"a","managedFields":{"manager":"m"}}}"#.utf8)
        #expect(
            DecodingComparison.outcome(MetadataOnly.self, bad, flat: true)
                == .failure(.init(description: "typeMismatch Array<Any> at metadata.managedFields")))
    }
}
