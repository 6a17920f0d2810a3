import CRDModels
import Foundation
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parse keeps booleans, integers, fractions, strings, nulls, arrays and objects apart")
    func parseTypes() throws {
        let value = try JSONValue.parse(
            Data(#"{"t":true,"f":false,"one":1,"zero":0,"half":0.5,"big":12345678901234,"s":"x","n":null,"a":[1,"b"]}"#.utf8))
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["one"] == .number(1))
        #expect(value["zero"] == .number(0))
        #expect(value["half"] == .number(0.5))
        #expect(value["big"] == .number(12_345_678_901_234))
        #expect(value["s"] == .string("x"))
        #expect(value["n"] == .null)
        #expect(value["a"] == .array([.number(1), .string("b")]))
    }

    @Test("parse and the Decodable path agree, and serialization round-trips")
    func agreesWithDecodable() throws {
        let text = #"{"metadata":{"name":"a","labels":{"k":"v"},"generation":3},"data":{"x":"eA=="},"list":[true,null,2.25]}"#
        let parsed = try JSONValue.parse(Data(text.utf8))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == decoded)
        #expect(try JSONValue.parse(parsed.serialized()) == parsed)
        // Integers stay integers on the wire.
        #expect(String(decoding: try JSONValue.number(3).serialized(), as: UTF8.self) == "3")
    }

    @Test("merge patch: objects merge, null deletes, scalars and arrays replace")
    func mergePatch() throws {
        let target = try JSONValue.parse(Data(#"{"a":{"b":1,"c":2},"d":[1,2],"e":"x"}"#.utf8))
        let patch = try JSONValue.parse(Data(#"{"a":{"b":null,"z":3},"d":[3],"e":null,"f":true}"#.utf8))
        #expect(target.mergePatched(with: patch) == (try JSONValue.parse(Data(#"{"a":{"c":2,"z":3},"d":[3],"f":true}"#.utf8))))
    }

    @Test("malformed JSON is an error, not a null")
    func malformed() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data("{".utf8)) }
    }
}
