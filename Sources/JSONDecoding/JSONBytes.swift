/// Byte-level helpers shared by the JSON readers (`FlatJSON`'s scan, the webhook's `AdmissionFastPath`).
public enum JSONBytes {
    /// The first byte from `start` that may be a quote, backslash, control character or non-ASCII byte, found
    /// eight bytes at a time (SWAR: a word's bytes tested at once); within the last seven bytes of the text, the
    /// start of that tail (the string loop finishes byte by byte). In a word with such a byte, the lowest flagged
    /// byte is exact (a borrow only carries towards higher bytes), so the loop starts right on the closing quote
    /// rather than stepping to it byte by byte: most strings of a Kubernetes object end within eight bytes.
    /// Public, not `package`: as a `package` function its body was not inlined into the webhook's module (83 calls a
    /// review, 4,400 instructions).
    @inlinable @inline(__always)
    public static func plainASCIIPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }
        var index = start
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let special = hasZeroByte(word ^ (ones &* 0x22)) | hasZeroByte(word ^ (ones &* 0x5C))
                | ((word &- ones &* 0x20) & ~word & highs)  // a byte below 0x20
                | (word & highs)  // a byte of 0x80 or more
            if special != 0 { return index + special.trailingZeroBitCount >> 3 }
            index += 8
        }
        return index
    }
}
