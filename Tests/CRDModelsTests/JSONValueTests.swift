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

    @Test("serialized writes the bytes JSONEncoder writes with sorted keys and unescaped slashes")
    func serializedMatchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let texts = [
            #"{"b":1,"a":{"Z":true,"z":false,"ä":null,"a1":[],"a10":{},"a2":"x"},"":""}"#,
            #"["quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \u0000 us \u001f del \u007f"]"#,
            #"{"n":[0,-0,1,-1,0.5,-2.25,0.1,1e20,-1e-7,9007199254740991,9007199254740993,123456789012.5]}"#,
            #"[1.7976931348623157e308,5e-324,4503599627370496.5,-9007199254740992]"#,
            #"{"unicode":"日本語 ü \ud83d\ude00","url":"https://example.test/a/b?c=d&e"}"#,
            #"{"metadata":{"name":"a","labels":{"app.kubernetes.io/name":"x"},"generation":3},"data":{"x":"eA=="}}"#,
        ]
        for text in texts {
            let value = try JSONValue.parse(Data(text.utf8))
            let expected = try encoder.encode(value)
            let written = try value.serialized()
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    @Test("merge patch: objects merge, null deletes, scalars and arrays replace")
    func mergePatch() throws {
        let target = try JSONValue.parse(Data(#"{"a":{"b":1,"c":2},"d":[1,2],"e":"x"}"#.utf8))
        let patch = try JSONValue.parse(Data(#"{"a":{"b":null,"z":3},"d":[3],"e":null,"f":true}"#.utf8))
        #expect(target.mergePatched(with: patch) == (try JSONValue.parse(Data(#"{"a":{"c":2,"z":3},"d":[3],"f":true}"#.utf8))))
    }

    @Test("malformed JSON is an error that says where and why")
    func malformed() {
        let cases: [(String, Int, String)] = [
            ("{", 1, "expected a key string"),
            ("", 0, "unexpected end of input, expected a value"),
            (#"{"a" 1}"#, 5, "expected ':'"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("[1,]", 3, "unexpected character, expected a value"),
            ("01", 0, "leading zero"),
            ("-", 1, "expected a digit"),
            ("1.", 2, "expected a digit after '.'"),
            ("1e+", 3, "expected a digit in the exponent"),
            ("tru", 0, "expected 'true'"),
            (#""a\u12G4""#, 6, "expected a hex digit"),
            ("\"\\q\"", 2, "invalid escape"),
            ("\"a\nb\"", 2, "control character in a string"),
            (#""abc"#, 4, "unterminated string"),
            ("1 2", 2, "unexpected data after the value"),
            ("1e400", 0, "number out of range"),
        ]
        for (text, offset, message) in cases {
            #expect(throws: JSONParseError(offset: offset, message: message), "\(text)") {
                try JSONValue.parse(Data(text.utf8))
            }
        }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONParseError(offset: 512, message: "nested deeper than 512 levels")) {
            try JSONValue.parse(Data(deep.utf8))
        }
    }

    @Test("parse reads escapes, surrogate pairs, numbers, whitespace and top-level scalars as Go's decoder does")
    func parseEdges() throws {
        let text = #" { "e" : "q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00\b\f\r" , "lone" : "\ud800x" , "#
            + #""n" : [ -0 , -1.5e2 , 2E-1 , 1e1 ] , "u": "caf\#u{E9}" , "k": "a", "k": "b" } "#
        let value = try JSONValue.parse(Data(text.utf8))
        #expect(value["e"] == .string("q\"b\\s/n\nt\tu\u{E9}\u{1F600}\u{8}\u{C}\r"))
        #expect(value["lone"] == .string("\u{FFFD}x"))
        #expect(value["n"] == .array([.number(0), .number(-150), .number(0.2), .number(10)]))
        #expect(value["u"] == .string("caf\u{E9}"))
        #expect(value["k"] == .string("b"))
        #expect(try JSONValue.parse(Data(" \"x\" ".utf8)) == .string("x"))
        #expect(try JSONValue.parse(Data("null".utf8)) == .null)
        #expect(try JSONValue.parse(Data("{}".utf8)) == .object([:]))
        #expect(try JSONValue.parse(Data("[ ]".utf8)) == .array([]))
    }
}
