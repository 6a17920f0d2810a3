import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import HTTPServer

/// The bytes of a response head as `HTTPResponseBytes` frames them: the 200 status line written as one string,
/// every other status and every length written as digits in place, and the header list a JSON answer shares.
struct HTTPResponseBytesTests {
    static func bytes(
        _ status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: Data = Data(), omitBody: Bool = false,
        keepAlive: Bool = true
    ) -> String {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        HTTPResponseBytes.write(
            status, headers: headers, body: body, omitBody: omitBody, keepAlive: keepAlive, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func statusLinesAndLengthsAreTheirDigits() {
        #expect(
            Self.bytes(.ok, headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                + "Connection: keep-alive\r\n\r\n{}")
        #expect(
            Self.bytes(.notFound, keepAlive: false)
                == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(
            Self.bytes(.custom(code: 599, reasonPhrase: "Odd"), body: Data(count: 10))
                .hasPrefix("HTTP/1.1 599 Odd\r\nContent-Length: 10\r\n"))
        // A HEAD answer announces the length without the body.
        #expect(
            Self.bytes(.ok, body: Data(count: 4_567_890), omitBody: true)
                == "HTTP/1.1 200 OK\r\nContent-Length: 4567890\r\nConnection: keep-alive\r\n\r\n")
        for value in [0, 7, 10, 99, 100, 65_535, 1 << 40, Int.max] {
            var buffer = ByteBufferAllocator().buffer(capacity: 24)
            HTTPResponseBytes.writeDecimal(value, into: &buffer)
            #expect(String(buffer: buffer) == String(value))
        }
    }

    @Test func jsonAnswersCarryExactlyOneContentType() {
        let plain = HTTPServerResponse.json(.ok, Data("{}".utf8))
        #expect(plain.headers == ["Content-Type": "application/json"])
        let replaced = HTTPServerResponse.json(
            .ok, Data("{}".utf8), headers: ["content-type": "text/plain", "Retry-After": "1"])
        #expect(replaced.headers["Content-Type"] == ["application/json"])
        #expect(replaced.headers["Retry-After"] == ["1"])
    }
}
