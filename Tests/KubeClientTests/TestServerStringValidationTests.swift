import Testing

@testable import KubeTestSupport

/// The hand-written matchers of `StringValidation` accept exactly what the anchored Go regexes accept.
@Suite("Test server: name and key formats")
struct TestServerStringValidationTests {
    @Test func dns1123LabelsAndSubdomains() {
        for valid in ["a", "0", "a-b", "abc123", "1-2-3", String(repeating: "a", count: 63)] {
            #expect(StringValidation.isDNS1123Label(valid), "\(valid)")
            #expect(StringValidation.dns1123Label(valid).isEmpty, "\(valid)")
        }
        for invalid in ["", "-a", "a-", "A", "a_b", "a.b", "a b", "é", "a\n"] {
            #expect(!StringValidation.isDNS1123Label(invalid), "\(invalid)")
        }
        for valid in ["a", "a.b", "example.com", "a-1.b-2.c"] {
            #expect(StringValidation.dns1123Subdomain(valid).isEmpty, "\(valid)")
        }
        for invalid in ["", ".", "a.", ".a", "a..b", "Example.com", "a.-b", "a_b.c"] {
            #expect(!StringValidation.dns1123Subdomain(invalid).isEmpty, "\(invalid)")
        }
        #expect(StringValidation.dns1123Label(String(repeating: "a", count: 64)) == [StringValidation.maxLengthError(63)])
    }

    @Test func qualifiedNamesLabelValuesAndConfigKeys() {
        for valid in ["a", "MyName", "my.name", "my_name", "123-abc", "example.com/MyName", "a/b"] {
            #expect(StringValidation.qualifiedName(valid).isEmpty, "\(valid)")
        }
        for invalid in ["", "-a", "a-", "a b", "/a", "Bad.Prefix/a", "a/b/c", "a/", "a/_b"] {
            #expect(!StringValidation.qualifiedName(invalid).isEmpty, "\(invalid)")
        }
        // Split on bytes, as Go's strings.Split: a `/` that a combining mark follows (one `Character` with it) still
        // separates the prefix, which is then checked, and the name part.
        #expect(StringValidation.qualifiedName("a_b/\u{301}x") == [
            "prefix part " + StringValidation.dns1123SubdomainMessage,
            "name part " + StringValidation.qualifiedNameMessage,
        ])
        #expect(!StringValidation.isDNS1123Subdomain("a.\u{301}b"))
        for valid in ["", "v", "My_Value", "1.2-3"] {
            #expect(StringValidation.labelValue(valid).isEmpty, "\(valid)")
        }
        for invalid in ["-v", "v.", "a b", "a/b"] {
            #expect(!StringValidation.labelValue(invalid).isEmpty, "\(invalid)")
        }
        for valid in [".dockerconfigjson", "KEY_NAME", "key-name", "-", "_"] {
            #expect(StringValidation.configMapKey(valid).isEmpty, "\(valid)")
        }
        for invalid in ["", "bad key!", "a/b", ".", "..", "..a"] {
            #expect(!StringValidation.configMapKey(invalid).isEmpty, "\(invalid)")
        }
    }
}

/// The request URI as Go's `url.ParseQuery` and path unescaping read it, with and without escapes.
struct TestServerURITests {
    @Test func pathAndQueryAreUnescapedOnlyWhereEscaped() {
        let plain = APIRouter.split("/api/v1/namespaces/a/secrets?labelSelector=x&watch=true&watch=false")
        #expect(plain.path == "/api/v1/namespaces/a/secrets")
        #expect(plain.query == ["labelSelector": "x", "watch": "true"])  // the first of repeated keys
        let escaped = APIRouter.split(
            "/api/v1/namespaces/a%2Db/secrets?labelSelector=app%3Din+x&fieldSelector=a%2Bb+c&e=")
        #expect(escaped.path == "/api/v1/namespaces/a-b/secrets")
        #expect(escaped.query == ["labelSelector": "app=in x", "fieldSelector": "a+b c", "e": ""])
        #expect(APIRouter.split("/x?%zz=1").query == ["%zz": "1"])  // invalid escapes kept as sent
    }
}
