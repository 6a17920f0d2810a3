// Helpers for the tests that check a cache keeps one storage per string (strings of more than 15 bytes are heap
// allocations; shorter ones are stored inline and have no storage to share).

/// `text` in a storage of its own, as a decoder would make it: equal to `text`, never sharing its storage.
func freshCopy(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }

/// Where `text`'s bytes are stored; nil for nil.
func storage(_ text: String?) -> UnsafeRawPointer? {
    text?.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
}
