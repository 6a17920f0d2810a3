import Testing

@testable import CRDModels

/// The name checks compare bytes in place; these pin them to the patterns the API server applies (RE2 there,
/// Swift's `Regex` here, matching whole `Character`s), at the edges a byte-level rewrite could get wrong:
/// non-ASCII text (combining marks, full-width and non-ASCII digits), empty labels, and the 63/253 limits.
struct FormatsTests {
    static let label63 = String(repeating: "a", count: 63)
    static let subdomain253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")

    static let names = [
        "a", "a.b", "a-b.c-d", "1x", "", ".", "-", "a.", ".a", "a..b", "a.-b", "a-.b", "a_b", "A", "a.B", "a b",
        "ü", "é.b", "a\u{301}", "a.\u{301}b", "a-\u{301}b", "\u{301}", "ａ", "a\u{0}", "a/b",
        label63, label63 + "a", subdomain253, subdomain253 + "b", String(repeating: "a", count: 253),
        String(repeating: "a", count: 254), label63 + "." + label63 + "a",
    ]

    @Test(arguments: names)
    func subdomainAndLabelAsThePatterns(name: String) throws {
        let subdomain = try Regex(Formats.Pattern.dns1123Subdomain)
        let label = try Regex(Formats.Pattern.dns1123Label)
        #expect(Formats.isDNS1123Subdomain(name) == (name.wholeMatch(of: subdomain) != nil && name.utf8.count <= 253))
        #expect(Formats.isDNS1123Label(name) == (name.wholeMatch(of: label) != nil && name.utf8.count <= 63))
    }

    /// `IsQualifiedName` and `IsValidLabelValue` of apimachinery: an optional subdomain prefix and `/`, then a
    /// name of at most 63 characters.
    @Test(arguments: names + [
        "A_b.C", "a_", "_a", "example.com/name", "example.com/Name_1", "Example.com/a", "a/b/c", "/a", "a/", "/",
        "example.com/é", "é/a", "a\u{301}/b", "a/b\u{301}", subdomain253 + "/x", subdomain253 + "b/x",
        "x/" + label63, "x/" + label63 + "a",
    ])
    func qualifiedNamesAndLabelValuesAsThePatterns(text: String) throws {
        let namePattern = try Regex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
        let subdomain = try Regex(Formats.Pattern.dns1123Subdomain)
        func isName(_ part: Substring) -> Bool { part.wholeMatch(of: namePattern) != nil && part.utf8.count <= 63 }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let expected =
            switch parts.count {
            case 1: isName(parts[0])
            case 2: parts[0].wholeMatch(of: subdomain) != nil && parts[0].utf8.count <= 253 && isName(parts[1])
            default: false
            }
        #expect(Formats.isQualifiedName(text) == expected)
        #expect(Formats.isLabelValue(text) == (text.isEmpty || isName(text[...])))
    }

    @Test(arguments: [
        "us-east-1", "us-gov-west-1", "cn-northwest-1", "us-east-12", "us-gov-west-01", "us-east-1\u{301}",
        "us-éast-1", "ｕs-east-1", "us-east-١", "us-east-１", "us\u{301}-east-1", "us-gov-\u{301}west-1", "us-gov--1",
        "us-gov-west-", "gov-west-1", "us-gov-west-1-", "-us-east-1", "us-east-1-1", "cn-gov-west-1", "us-gov",
        "us-east-", "--", "-", "us-",
    ])
    func regionsAsThePattern(region: String) throws {
        let pattern = try Regex(AWSPartition.regionPattern)
        let partition = AWSPartition(region: region)
        #expect((partition != nil) == (region.wholeMatch(of: pattern) != nil))
        if let partition {
            let expected: AWSPartition =
                region.hasPrefix("us-gov-") ? .awsUSGov : region.hasPrefix("cn-") ? .awsCN : .aws
            #expect(partition == expected)
        }
    }
}
