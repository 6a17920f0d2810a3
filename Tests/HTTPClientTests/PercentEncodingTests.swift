import HTTPClient
import Testing

@Suite struct PercentEncodingTests {
    /// Kubernetes path segments and query values: everything but RFC 3986 unreserved characters is encoded.
    @Test func everythingButUnreservedCharactersIsPercentEncoded() {
        #expect(PercentEncoding.encode("ns-1.a_b~Z9") == "ns-1.a_b~Z9")
        #expect(PercentEncoding.encode("a b/c=ü%") == "a%20b%2Fc%3D%C3%BC%25")
        #expect(PercentEncoding.encode("") == "")
    }
}
