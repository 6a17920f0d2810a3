import Testing

@testable import KubeClient

@Suite struct PathEscapingTests {
    @Test func everythingButUnreservedCharactersIsPercentEncoded() {
        #expect(escapePathSegment("ns-1.a_b~Z9") == "ns-1.a_b~Z9")
        #expect(escapePathSegment("a b/c=ü%") == "a%20b%2Fc%3D%C3%BC%25")
        #expect(escapePathSegment("") == "")
    }
}
