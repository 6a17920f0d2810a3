import FoundationEssentials
import HTTPClient
import NIOCore
import NIOHTTP1

/// The bytes of HTTP/1.1 responses, written straight into `ByteBuffer`s: a response with a complete body is
/// one buffer (head and body), so it takes one trip down the pipeline and the TLS handler seals it as one
/// record. This is the one place that frames responses; the server has no `HTTPResponseEncoder`.
enum HTTPResponseBytes {
    /// A complete response, head and body, written into `buffer` after its readable bytes (a connection reuses one
    /// buffer). `omitBody` for an answer to `HEAD`, which announces the body's length but does not send it. A 1xx,
    /// 204 or 304 answer has neither a body nor a length.
    static func write(
        _ status: HTTPResponseStatus, headers: HTTPHeaders, body: some Collection<UInt8>, omitBody: Bool,
        keepAlive: Bool, into buffer: inout ByteBuffer
    ) {
        let mayHaveBody = status.mayHaveResponseBody
        let sendsBody = mayHaveBody && !omitBody
        buffer.reserveCapacity(
            minimumWritableBytes: 128 + headers.count * 48 + (sendsBody ? body.count : 0))
        writeHead(
            status, headers: headers, framing: mayHaveBody ? .length(body.count) : .none, keepAlive: keepAlive,
            into: &buffer)
        if sendsBody {
            buffer.writeBytes(body)
        }
    }

    /// The head of a response whose body follows in chunks (`chunk(_:)`, then `end`).
    static func chunkedHead(
        _ status: HTTPResponseStatus, headers: HTTPHeaders, keepAlive: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128 + headers.count * 48)
        writeHead(status, headers: headers, framing: .chunked, keepAlive: keepAlive, into: &buffer)
        return buffer
    }

    private enum Framing {
        case length(Int), chunked, none
    }

    /// Status line, the handler's headers and the framing headers. The handler's own `Content-Length`,
    /// `Transfer-Encoding` and `Connection` are left out: the server alone decides framing and keep-alive.
    private static func writeHead(
        _ status: HTTPResponseStatus, headers: HTTPHeaders, framing: Framing, keepAlive: Bool,
        into buffer: inout ByteBuffer
    ) {
        if status == .ok {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")  // nearly every answer: no number or phrase made
        } else {
            buffer.writeStaticString("HTTP/1.1 ")
            writeDecimal(Int(status.code), into: &buffer)
            buffer.writeStaticString(" ")
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        for (name, value) in headers where !isFramingHeader(name) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        switch framing {
        case .length(let length):
            buffer.writeStaticString("Content-Length: ")
            writeDecimal(length, into: &buffer)
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        case .none:
            break
        }
        buffer.writeStaticString(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n")
    }

    /// A non-negative number's decimal digits, written in place rather than through a `String`.
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0, "a length or status code is never negative")
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for Int.max's 19 digits
        withUnsafeMutableBytes(of: &digits) { digits in
            var rest = value
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }

    /// `100 Continue`, the interim answer to `Expect: 100-continue`.
    static func continueResponse(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 25)
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
        return buffer
    }

    /// One chunk of a chunked body: its size in hex, the bytes, CRLF. `data` must not be empty (that is `end`).
    static func chunk(_ data: Data, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.count + 12)
        buffer.writeString(String(data.count, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(data)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The last chunk of a chunked body (no trailers).
    static func end(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 5)
        buffer.writeStaticString("0\r\n\r\n")
        return buffer
    }

    private static func isFramingHeader(_ name: String) -> Bool {
        // By length first: every response has headers (Content-Type, ...) that cannot be one of these, and the
        // comparison is not specialized across modules.
        switch name.utf8.count {
        case 10: name.equalsIgnoringASCIICase("connection")
        case 14: name.equalsIgnoringASCIICase("content-length")
        case 17: name.equalsIgnoringASCIICase("transfer-encoding")
        default: false
        }
    }
}
