import HTTPServer
import Testing

/// The request target split into path and query, as handlers route on them.
struct HTTPServerRequestTests {
    @Test func targetSplitsIntoPathAndQuery() {
        let plain = HTTPServerRequest(method: "GET", target: "/validate-x")
        #expect(plain.path == "/validate-x")
        #expect(plain.query == nil)
        let query = HTTPServerRequest(method: "GET", target: "/é/b?timeout=10s&a=x%20y&a=z+w")
        #expect(query.path == "/é/b")
        #expect(query.query == "timeout=10s&a=x%20y&a=z+w")
        #expect(query.queryItems.map(\.name) == ["timeout", "a", "a"])
        #expect(query.queryItems.map(\.value) == ["10s", "x y", "z w"])
        #expect(HTTPServerRequest(method: "GET", target: "?only").path == "")
    }
}
