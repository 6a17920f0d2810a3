import FoundationEssentials

/// Query parameters of a list (`metav1.ListOptions`).
public struct ListOptions: Sendable, Hashable {
    /// e.g. `app=web,tier!=cache`.
    public var labelSelector: String?
    /// e.g. `metadata.name=x`.
    public var fieldSelector: String?
    /// Page size; the response's `metadata.continue` fetches the next page.
    public var limit: Int?
    public var continueToken: String?
    /// `""` (nil): a consistent read; `"0"`: any cached state.
    public var resourceVersion: String?
    public var resourceVersionMatch: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, resourceVersionMatch: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        return items
    }
}

/// Query parameters of a watch.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Start after this version; nil or `""` starts with synthetic ADDED events for the current state.
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// Ask the server to end the watch after this many seconds (a clean close).
    public var timeoutSeconds: Int?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "1")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// `metav1.Preconditions`: the delete fails with 409 unless the object still has this uid / version.
public struct DeletePreconditions: Codable, Sendable, Hashable {
    public var uid: String?
    public var resourceVersion: String?

    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// What happens to dependents (objects whose ownerReferences name the deleted one).
public enum PropagationPolicy: String, Codable, Sendable {
    case orphan = "Orphan"
    case background = "Background"
    case foreground = "Foreground"
}

/// `metav1.DeleteOptions` body.
struct DeleteOptions: Encodable {
    var apiVersion = "v1"
    var kind = "DeleteOptions"
    var preconditions: DeletePreconditions?
    var propagationPolicy: PropagationPolicy?
    var gracePeriodSeconds: Int?
}
