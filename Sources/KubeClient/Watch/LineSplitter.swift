import FoundationEssentials

/// Splits a byte stream into newline-terminated lines with a bounded buffer.
///
/// Watch responses carry one JSON event per line, but chunks arrive cut anywhere. A line longer than
/// `maxLineBytes` is an error rather than an unbounded buffer. `\r\n` endings and blank lines are
/// tolerated.
public struct LineSplitter: Sendable {
    public let maxLineBytes: Int
    private var buffer = Data()
    /// Bytes of `buffer` already scanned for a newline.
    private var scanned = 0

    public struct LineTooLong: Error, CustomStringConvertible {
        public var limit: Int
        public var description: String { "watch line longer than \(limit) bytes" }
    }

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Appends a chunk and returns the complete, non-empty lines it finished.
    public mutating func append(_ chunk: Data) throws -> [Data] {
        buffer.append(chunk)
        var lines: [Data] = []
        // Offset of the first byte not yet returned in a line. Scanned through raw bytes: every event of
        // every watch passes here, and `Data`'s generic indexing cost more than the scan itself.
        var consumed = 0
        try buffer.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = scanned
            while let newline = bytes[offset...].firstIndex(of: 0x0A) {
                var end = newline
                if end > consumed, bytes[end - 1] == 0x0D { end -= 1 }
                if end - consumed > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
                if end > consumed { lines.append(Data(UnsafeRawBufferPointer(rebasing: bytes[consumed..<end]))) }
                consumed = newline + 1
                offset = consumed
            }
        }
        if consumed > 0 { buffer.removeSubrange(buffer.startIndex..<buffer.startIndex + consumed) }
        scanned = buffer.count
        // The unfinished line may end in the `\r` of a `\r\n` whose `\n` is in the next chunk.
        if buffer.count - (buffer.last == 0x0D ? 1 : 0) > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
        return lines
    }

    /// The unterminated rest at end of stream, if any (whitespace-only counts as none).
    public mutating func finish() -> Data? {
        defer {
            buffer = Data()
            scanned = 0
        }
        let rest = buffer.filter { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        return rest.isEmpty ? nil : buffer
    }
}
