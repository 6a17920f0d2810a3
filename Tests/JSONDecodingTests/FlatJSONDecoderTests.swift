import CRDModels
import Foundation
import JSONDecodingTestSupport
import Testing

@testable import JSONDecoding

/// `FlatJSONDecoder` against Foundation's `JSONDecoder` on hand-picked edge cases: both must accept the same
/// documents, decode the same values, and throw the same kind of error at the same coding path. (Recorded
/// admission reviews and their mutations: WebhookTests; the recorded API server answers: ConformanceTests.)
struct FlatJSONDecoderTests {
    static func alike<T: Decodable & Equatable>(_ type: T.Type, _ text: String) -> Bool {
        let body = Data(text.utf8)
        let flat = DecodingComparison.outcome(T.self, body, flat: true)
        let foundation = DecodingComparison.outcome(T.self, body, flat: false)
        #expect(flat == foundation, "\(text)")
        return flat == foundation
    }

    struct Sample: Codable, Equatable {
        var text: String?
        var flag: Bool?
        var small: Int8?
        var count: Int?
        var big: UInt64?
        var ratio: Double?
        var list: [String]?
        var nested: [[Int]]?
        var map: [String: String]?
        var any: JSONValue?
        var optionals: [String?]?
    }

    @Test(arguments: [
        #"{}"#,
        #"{"text":"plain","flag":true,"count":-42,"ratio":1.5e3,"list":["a","b"],"nested":[[1],[],[2,3]]}"#,
        #"{"text":"esc \"q\" \\ \/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 é"}"#,
        #"{"te\u0078t":"escaped key"}"#,
        #"{"count":1.0}"#, #"{"count":1e2}"#, #"{"count":1.5}"#, #"{"count":9223372036854775807}"#,
        #"{"count":9223372036854775808}"#, #"{"count":-9223372036854775808}"#, #"{"small":128}"#, #"{"small":-128}"#,
        #"{"big":18446744073709551615}"#, #"{"big":-1}"#, #"{"big":-0}"#,
        #"{"ratio":-0.0}"#, #"{"ratio":1E-2}"#, #"{"ratio":"1"}"#,
        #"{"text":null,"flag":null,"list":null}"#, #"{"text":1}"#, #"{"flag":"true"}"#, #"{"list":"a"}"#,
        #"{"list":[1]}"#, #"{"list":[null]}"#, #"{"list":{}}"#, #"{"nested":[[1,"x"]]}"#, #"{"map":[]}"#,
        #"{"map":{"a":"1","b":2}}"#, #"{"map":null}"#, #"{"map":{"a":null}}"#, #"{"map":{"a":"1","a":2}}"#,
        #"{"map":{"a":2,"a":"1"}}"#, #"{"map":{"\u0061":"escaped","b":"\n"}}"#, #"{"list":[]}"#,
        #"{"optionals":["a",null,"b"]}"#,
        #"{"any":{"a":[1,true,null,"s",{"b":{}}],"c":-1.25}}"#, #"{"text":"a","text":"b"}"#,
        #"{"any":1e400}"#, #"{"any":[1,{"a":-1e999}]}"#, #"{"any":{"a":1,"a":2}}"#, #"{"any":{"a":1e400,"a":2}}"#,
        #" { "text" : "spaced" } "#, #"{"text":"a",}"#, #"{"list":["a",]}"#, #"{"list":[,]}"#, #"{"list":["a",,]}"#,
        #"{,}"#, #"{"count":01}"#, #"{"count":-}"#, #"{"count":1.}"#,
        #"{"count":.5}"#, "{\"text\":\"tab\tinside\"}", #"{"text":"\x"}"#, #"{"text":"\u12"}"#, #"{"flag":tru}"#,
        #"{"text":"a"} x"#, #"[]"#, #"null"#, #""#, #"{"#, #"{"text""#, #"{"text":"unterminated}"#,
    ])
    func edgeCasesDecodeAlike(_ text: String) {
        _ = Self.alike(Sample.self, text)
    }

    /// The string scan tests eight bytes at a time: each byte it must stop at (quote, backslash, a control
    /// character, the first byte of a multi-byte character, an invalid UTF-8 byte), at every position of the first
    /// two words and at the document's end, decodes alike.
    @Test(arguments: ["\"", "\\", "\\n", "\n", "\u{1F}", "\u{7F}", "é", "\u{80}"])
    func stopBytesAtEveryWordPositionDecodeAlike(_ stop: String) {
        for position in 0...17 {
            let text = String(repeating: "a", count: position) + stop + String(repeating: "b", count: 20 - position)
            _ = Self.alike(Sample.self, #"{"text":""# + text + #""}"#)
            _ = Self.alike(Sample.self, #"{"text":""# + String(repeating: "c", count: position) + #"""#)
        }
        for position in 0...17 {
            var bytes = Array(#"{"text":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 20)
            bytes += Array(#""}"#.utf8)
            bytes[9 + position] = 0xFF
            let flat = DecodingComparison.outcome(Sample.self, Data(bytes), flat: true)
            #expect(flat == DecodingComparison.outcome(Sample.self, Data(bytes), flat: false), "0xFF at \(position)")
        }
    }

    /// Maps past the indexing threshold, with a repeated key (the first one wins, as with `JSONDecoder`).
    @Test func largeMapsDecodeAlike() {
        let members = (0..<200).map { #""k\#($0)":"v\#($0)""# } + [#""k7":"again""#]
        let body = Data(#"{"map":{\#(members.joined(separator: ","))}}"#.utf8)
        let flat = DecodingComparison.outcome(Sample.self, body, flat: true)
        #expect(flat == DecodingComparison.outcome(Sample.self, body, flat: false))
        #expect((try? flat.get())?.map?["k7"] == "v7")
    }

    @Test func nestingIsBounded() {
        let deep = Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)
        #expect(throws: DecodingError.self) { try FlatJSONDecoder().decode(JSONValue.self, from: deep) }
        let fine = Data((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)
        #expect(throws: Never.self) { try FlatJSONDecoder().decode(JSONValue.self, from: fine) }
    }

    /// Offsets are 32-bit: a longer document is refused before it is copied or scanned (`Data(count:)` is zeroed
    /// lazily by the kernel, so this test touches no 4 GiB).
    @Test func documentsOverTheSizeLimitAreRefused() throws {
        let huge = Data(count: FlatJSON.maxBytes + 1)
        let error = try #require(throws: DecodingError.self) { try FlatJSONDecoder().decode(JSONValue.self, from: huge) }
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(error)")
            return
        }
        #expect(context.debugDescription.contains("\(FlatJSON.maxBytes + 1) bytes long, more than"))
    }

    @Test func invalidUTF8IsRefused() {
        let body = Data([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")])
        #expect(throws: DecodingError.self) { try FlatJSONDecoder().decode(String.self, from: body) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(String.self, from: body) }
    }

    /// Secret values: `Data` is base64 (JSONDecoder's default `.base64` strategy), `Date` its own `Codable`.
    struct Bytes: Codable, Equatable {
        var data: Data
        var optional: Data?
        var map: [String: Data]?
        var list: [Data]?
        var date: Date?
    }

    @Test(arguments: [
        #"{"data":"aGk="}"#, #"{"data":""}"#, #"{"data":"aGk"}"#, #"{"data":"YQ"}"#, #"{"data":"YR=="}"#,
        #"{"data":"aGk=="}"#, #"{"data":"aG=k"}"#, #"{"data":"aGk=aGk="}"#, #"{"data":"a Gk="}"#,
        #"{"data":"aGk=\n"}"#, #"{"data":"aG\/k"}"#, #"{"data":"\u0061Gk="}"#, #"{"data":"-_8="}"#,
        #"{"data":"8J+YgA=="}"#, #"{"data":"=="}"#, #"{"data":"é"}"#, #"{"data":1}"#, #"{"data":true}"#,
        #"{"data":null}"#, #"{"data":[104,105]}"#, #"{"data":{}}"#, #"{}"#,
        #"{"data":"","optional":null}"#, #"{"data":"","optional":"!"}"#, #"{"data":"","optional":"aGk="}"#,
        #"{"data":"","map":{"a":"aGk=","b":"AAEC/w=="}}"#, #"{"data":"","map":{"a":"aGk=","b":"!!"}}"#,
        #"{"data":"","map":{"a":5}}"#, #"{"data":"","map":{"a":null}}"#, #"{"data":"","map":{"a":"aGk=","a":"!"}}"#,
        #"{"data":"","list":["aGk=",""]}"#, #"{"data":"","list":["aGk=",null]}"#, #"{"data":"","list":["aGk=",3]}"#,
        #"{"data":"","date":12.5}"#, #"{"data":"","date":-1e9}"#, #"{"data":"","date":"2026-11-30T00:00:00Z"}"#,
        #"{"data":"","date":null}"#,
    ])
    func bytesDecodeAlike(_ text: String) {
        _ = Self.alike(Bytes.self, text)
    }

    /// Every length and byte value: what base64 decoding itself does, not only the shapes above.
    @Test func base64OfRandomBytesDecodesAlike() {
        var random = SplitMix64(seed: 0xB64)
        for length in 0..<200 {
            let bytes = Data((0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            var text = bytes.base64EncodedString()
            #expect(Self.alike(Data.self, #""\#(text)""#))
            // Damaged: a character replaced, dropped or added.
            if !text.isEmpty {
                let at = text.index(text.startIndex, offsetBy: Int(random.next() % UInt64(text.count)))
                switch random.next() % 3 {
                case 0: text.replaceSubrange(at...at, with: ["=", "*", "A", " "][Int(random.next() % 4)])
                case 1: text.remove(at: at)
                default: text.insert("=", at: at)
                }
                #expect(Self.alike(Data.self, #""\#(text)""#))
            }
        }
    }

    /// The summary drops the path of `dataCorrupted` (syntax errors differ); a bad base64 value has one.
    @Test func invalidBase64IsReportedAtItsMember() throws {
        let body = Data(#"{"data":"","map":{"a":"aGk=","b":"!!"}}"#.utf8)
        let decoders: [(Data) throws -> Bytes] = [
            { try FlatJSONDecoder().decode(Bytes.self, from: $0) }, { try JSONDecoder().decode(Bytes.self, from: $0) },
        ]
        for decode in decoders {
            #expect {
                try decode(body)
            } throws: { error in
                guard case .dataCorrupted(let context) = error as? DecodingError else { return false }
                return DecodingComparison.path(context) == "map.b"
                    && context.debugDescription == "Encountered Data is not valid Base64."
            }
        }
    }

    // MARK: Member defaults

    struct Item: Decodable, Equatable {
        struct Inner: Decodable, Equatable {
            var kind: String
        }

        var apiVersion: String
        var kind: String?
        var name: String
        var inner: Inner?
    }

    /// An `Item` read with `apiVersion` and `kind` defaults, as `ObjectList` reads its items.
    struct Defaulted: Decodable, Equatable {
        var item: Item

        init(from decoder: any Decoder) throws {
            let decoder = try #require(decoder as? any MemberDefaultingDecoder)
            item = try decoder.decode(Item.self, defaultingMissing: ["apiVersion": "v1", "kind": "Thing"])
        }
    }

    @Test func missingMembersTakeTheirDefaults() throws {
        let items = try FlatJSONDecoder().decode([Defaulted].self, from: Data(#"""
            [{"name":"a"}, {"name":"b","apiVersion":"v2","kind":"Other"}, {"name":"c","kind":null}]
            """#.utf8)).map(\.item)
        #expect(items == [
            Item(apiVersion: "v1", kind: "Thing", name: "a"), Item(apiVersion: "v2", kind: "Other", name: "b"),
            Item(apiVersion: "v1", kind: nil, name: "c"),
        ])
    }

    /// Defaults are for the item's own members: a null is not a missing member, nested objects get none, and
    /// errors keep the item's coding path.
    @Test(arguments: [
        (#"[{"name":"a","apiVersion":null}]"#, "valueNotFound String at [0].apiVersion"),
        (#"[{"name":"a","inner":{}}]"#, "keyNotFound kind at [0].inner"),
        (#"[{"name":"a"},{"name":7}]"#, "typeMismatch String at [1].name"),
        (#"[{}]"#, "keyNotFound name at [0]"),
    ])
    func defaultsLeaveOtherErrorsAlone(_ text: String, _ expected: String) {
        let outcome = DecodingComparison.outcome([Defaulted].self, Data(text.utf8), flat: true)
        #expect(outcome.map { $0.map(\.item) } == .failure(DecodingComparison.ErrorSummary(description: expected)))
    }

    /// `FlatJSONObject.text`: compared in place, escapes resolved, with the errors `string` throws for the member.
    @Test func textComparesInPlaceWithTheErrorsOfString() throws {
        let object = try FlatJSONDecoder().object(
            from: Data(#"{"v":"admission.k8s.io/v1","e":"a\/b\u0041\u00e9","n":null,"i":1,"o":{},"":""}"#.utf8))
        #expect(try object.text("v") == "admission.k8s.io/v1")
        #expect(try object.text("v") != "admission.k8s.io/v2")
        #expect(try object.text("v") != "admission.k8s.io/v")
        #expect(try object.text("v") != "")
        #expect(try object.text("e") == "a/bAé")
        #expect(try object.text("e") != #"a\/bA"#)
        #expect(try object.text("e").string == "a/bAé")
        #expect(try object.text("") == "")
        for name in ["n", "i", "o", "missing"] {
            func failure(_ read: () throws -> Any) -> String {
                do {
                    _ = try read()
                    return "no error"
                } catch {
                    return "\(error)"
                }
            }
            let text = failure { try object.text(name) }
            #expect(text == failure { try object.string(name) }, "\(name)")
            #expect(text != "no error")
        }
    }
}
