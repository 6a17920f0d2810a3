extension StringProtocol {
    /// Without leading and trailing whitespace and newlines (`Character.isWhitespace`): what Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` did, without Foundation.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
