import CRDModels
import Foundation
import Testing

@Suite("corpus normaliser")
struct CorpusNormalizerTests {
    private func json(_ text: String) -> JSONValue { try! JSONValue.parse(Data(text.utf8)) }

    @Test("object versions are by value, list versions and continue tokens new at every occurrence")
    func versions() {
        var normalizer = CorpusNormalizer(literals: [])
        let list = normalizer.normalize(
            json("""
                {"kind":"SecretList","metadata":{"resourceVersion":"50","continue":"abc"},
                 "items":[{"metadata":{"resourceVersion":"40","managedFields":[{"x":1}]}},
                          {"metadata":{"resourceVersion":"41","selfLink":"/x"}}]}
                """))
        #expect(
            list
                == json("""
                    {"kind":"SecretList","metadata":{"resourceVersion":"<listrv:1>","continue":"<continue:1>"},
                     "items":[{"metadata":{"resourceVersion":"<rv:1>"}},
                              {"metadata":{"resourceVersion":"<rv:2>","selfLink":"<selfLink>"}}]}
                    """))
        let again = normalizer.normalize(json(#"{"kind":"SecretList","metadata":{"resourceVersion":"50"}}"#))
        #expect(again["metadata"]?["resourceVersion"] == .string("<listrv:2>"))
        let object = normalizer.normalize(json(#"{"kind":"Secret","metadata":{"resourceVersion":"41"}}"#))
        #expect(object["metadata"]?["resourceVersion"] == .string("<rv:2>"))
        let bookmark = normalizer.normalize(json(#"{"kind":"Secret","metadata":{"resourceVersion":"41"}}"#), bookmark: true)
        #expect(bookmark["metadata"]?["resourceVersion"] == .string("<listrv:3>"))
        #expect(normalizer.realValues["<listrv:1>"] == "50")
        #expect(normalizer.realValues["<continue:1>"] == "abc")
    }

    @Test("times, UUIDs by value, and literals that the requests carry")
    func stringsAndLiterals() {
        var normalizer = CorpusNormalizer(literals: ["2021-03-04T05:06:07Z", "00000000-0000-4000-8000-00000000c0de"])
        let uid = "0d9f6a3e-5a8b-4c1d-9e2f-0123456789ab"
        let body = normalizer.normalize(
            json("""
                {"a":"2026-11-30T04:00:00Z","b":"2026-11-30T04:00:00.123456Z","c":"2026-11-30T04:00:00.12Z",
                 "d":"2021-03-04T05:06:07Z","e":"\(uid)","f":"00000000-0000-4000-8000-00000000c0de",
                 "g":"owner \(uid) gone"}
                """))
        #expect(
            body
                == json("""
                    {"a":"<time>","b":"<microtime>","c":"<time.2>","d":"2021-03-04T05:06:07Z","e":"<uid:1>",
                     "f":"00000000-0000-4000-8000-00000000c0de","g":"owner <uid:1> gone"}
                    """))
    }

    @Test("message rules: pointers, too old, digit runs of request placeholders and of known versions")
    func messages() {
        var normalizer = CorpusNormalizer(literals: [])
        _ = normalizer.normalize(json(#"{"kind":"Secret","metadata":{"resourceVersion":"77"}}"#))
        _ = normalizer.normalize(json(#"{"kind":"SecretList","metadata":{"resourceVersion":"90"}}"#))
        normalizer.requestPlaceholders = []
        #expect(normalizer.substitute("/x?resourceVersion=<listrv:1>") == "/x?resourceVersion=90")
        let status = normalizer.normalize(
            json("""
                {"kind":"Status","metadata":{},"message":"too old resource version: 5 (123) at 90 after 77 (0xc000a1) 12"}
                """))
        #expect(
            status["message"]
                == .string("too old resource version: 5 (<rv>) at <listrv:1> after <rv:1> (<ptr>) 12"))
        #expect(normalizer.normalizeWarning("299 - \"version 77\"") == "299 - \"version <rv:1>\"")
    }

    @Test("generated names: from the request's generateName and from objects")
    func generatedNames() {
        var normalizer = CorpusNormalizer(literals: [])
        let request = json(#"{"metadata":{"generateName":"gen-"}}"#)
        let body = normalizer.normalize(
            json(#"{"kind":"Secret","metadata":{"name":"gen-x7k2b","generateName":"gen-"},"message":"gen-x7k2b here"}"#),
            requestBody: request)
        #expect(body["metadata"]?["name"] == .string("gen-<suffix:1>"))
        #expect(body["message"] == .string("gen-<suffix:1> here"))
        let other = normalizer.normalize(json(#"{"metadata":{"name":"web-q2z9d","generateName":"web-"}}"#))
        #expect(other["metadata"]?["name"] == .string("web-<suffix:2>"))
        #expect(normalizer.substitute("gen-<suffix:1>") == "gen-x7k2b")
    }

    @Test("step transforms: unordered, sort, causes, select, replace; tables")
    func transforms() {
        var step = StepTransforms()
        step.unordered = true
        step.causesUnordered = true
        step.select = [json(#"{"path":"groups","key":"name","keep":["a"]}"#)]
        step.replace = json(#"{"fields":{"gitCommit":"<gitCommit>"},"regex":[["hash=[0-9a-f]+","hash=<hash>"]]}"#)
        let body = CorpusNormalizer.apply(
            step,
            to: json("""
                {"items":[{"metadata":{"namespace":"b","name":"a"}},{"metadata":{"namespace":"a","name":"z"}}],
                 "message":"x is invalid: [b: bad, a: worse]",
                 "details":{"causes":[{"field":"b","message":"bad"},{"field":"a","message":"worse"}]},
                 "groups":[{"name":"b"},{"name":"a"}],"gitCommit":"123","url":"/v3?hash=abc"}
                """))
        #expect(body["items"]?.arrayValue?.first?["metadata"]?["namespace"] == .string("a"))
        #expect(body["message"] == .string("x is invalid: [a: worse, b: bad]"))
        #expect(body["groups"] == json(#"[{"name":"a"}]"#))
        #expect(body["gitCommit"] == .string("<gitCommit>"))
        #expect(body["url"] == .string("/v3?hash=<hash>"))
        let table = CorpusNormalizer.maskTableAges(
            json("""
                {"kind":"Table","columnDefinitions":[{"name":"Name","type":"string"},{"name":"Age","type":"string"}],
                 "rows":[{"cells":["a","5m"]}]}
                """))
        #expect(table["rows"] == json(#"[{"cells":["a","<age>"]}]"#))
    }

    @Test("JSON diff names the paths that differ")
    func diff() {
        let lines = JSONDiff.lines(
            expected: json(#"{"a":{"b":[1,2]},"c":"x"}"#), actual: json(#"{"a":{"b":[1,3]},"d":true}"#))
        #expect(lines == [".a.b[1]: expected 2, got 3", ".c: missing, expected \"x\"", ".d: unexpected true"])
    }

    @Test("README paths with indexes and selectors")
    func paths() {
        let value = json(#"{"status":{"conditions":[{"type":"A","message":"m"}]},"l":[1,2]}"#)
        #expect(value.value(atPath: "status.conditions[type=A].message") == .string("m"))
        #expect(value.value(atPath: "l[1]") == .number(2))
        #expect(value.value(atPath: "status.missing") == nil)
    }
}
