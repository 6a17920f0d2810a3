#if canImport(Glibc)
    import Glibc
#endif

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes from `offset` begin with `text`'s UTF-8: a literal (`true`, `null`) or a known name compared
    /// in place by the JSON readers (`JSONValue`'s, `FlatJSON`'s, the webhook's fast path) and the region check.
    @inlinable @inline(__always)
    package func hasText(_ text: StaticString, at offset: Int = 0) -> Bool {
        let length = text.utf8CodeUnitCount
        guard offset >= 0, count - offset >= length else { return false }
        // memcmp: `elementsEqual` went through the sequences' iterators, 2,200 more instructions in a webhook review.
        return length == 0 || memcmp(baseAddress! + offset, text.utf8Start, length) == 0
    }

    /// Whether these bytes are exactly `text`'s UTF-8.
    @inlinable @inline(__always)
    package func equals(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && hasText(text)
    }
}
