import CRDModels
import Foundation

/// Preconditions of a DELETE (`metav1.Preconditions`).
struct DeletePreconditions: Sendable {
    var uid: String?
    var resourceVersion: String?
}

/// What a DELETE did: removed the object, or marked it (finalizers pending, namespace terminating).
enum DeleteOutcome: Sendable {
    case deleted(JSONValue)
    case pending(JSONValue)
}

/// How a PATCH body is interpreted.
enum PatchKind: Sendable {
    case merge, strategicMerge, json, apply

    init?(contentType: String) {
        let mediaType = contentType.split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() } ?? ""
        switch mediaType {
        case "application/merge-patch+json": self = .merge
        case "application/strategic-merge-patch+json": self = .strategicMerge
        case "application/json-patch+json": self = .json
        case "application/apply-patch+yaml", "application/apply-patch+cbor": self = .apply
        default: return nil
        }
    }
}

extension ClusterStore {
    static let namespaces = GroupResource(group: "", resource: "namespaces")
    static let crds = GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")

    // MARK: Create

    func create(
        _ type: APIResourceType, namespace: String, body: JSONValue, dryRun: Bool = false,
        fieldValidation: FieldValidation = .warn, user: UserInfo? = nil
    ) throws(APIError) -> JSONValue {
        try write(dryRun: dryRun, fieldValidation: fieldValidation, user: user) { () throws(APIError) -> JSONValue in
            return try createLocked(type, namespace: namespace, body: body)
        }
    }

    func createLocked(_ type: APIResourceType, namespace: String, body: JSONValue) throws(APIError) -> JSONValue {
        var object = try checkedBody(body, type: type, namespace: namespace)
        var name = object["metadata"]?["name"]?.stringValue ?? ""
        try checkNamespaceAccepts(type, namespace: namespace, name: name)
        if name.isEmpty {
            guard let prefix = object["metadata"]?["generateName"]?.stringValue, !prefix.isEmpty else {
                throw APIError.invalid(
                    kind: type.kind, group: type.group, name: "",
                    causes: [.required("metadata.name", "name or generateName is required")])
            }
            repeat {
                name = prefix + ObjectRules.generatedSuffix()
            } while objects[type.groupResource]?[ObjectKey(namespace: namespace, name: name)] != nil
            object["metadata"]?["name"] = .string(name)
        }
        try ObjectRules.prepareForCreate(&object, type: type)
        let violations = ObjectValidation.create(object, type: type, schemaErrors: try applySchema(type, to: &object))
        if !violations.isEmpty {
            // A custom resource's errors name the kind it was sent as.
            let kind = object["kind"]?.stringValue ?? type.kind
            throw APIError.invalid(kind: kind, group: type.group, name: name, causes: violations)
        }
        let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
        guard objects[type.groupResource]?[key] == nil else {
            throw APIError.alreadyExists(type.groupResource, name: name)
        }
        object["metadata"]?["uid"] = .string(UUID().uuidString.lowercased())
        object["metadata"]?["creationTimestamp"] = .string(Timestamp.format(Date()))
        object["metadata"]?["generation"] = type.tracksGeneration ? .number(1) : nil
        for field in ["deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"] {
            object["metadata"]?[field] = nil
        }
        try admit(
            type, operation: "CREATE", namespace: namespace, name: name, object: object, oldObject: nil,
            options: "CreateOptions")
        if type.groupResource == Self.crds && !dryRun {
            try register(APIResourceType.fromCRD(object))
        }
        let stored = commit(type, key: key, object: object, eventType: "ADDED", previous: nil)
        if type.plural == "namespaces" && options.createDefaultServiceAccount && !dryRun,
            let serviceAccounts = types.first(where: { $0.plural == "serviceaccounts" && $0.group.isEmpty })
        {
            let account: JSONValue = .object([
                "apiVersion": .string("v1"), "kind": .string("ServiceAccount"),
                "metadata": .object(["name": .string("default"), "namespace": .string(name)]),
            ])
            _ = try? createLocked(serviceAccounts, namespace: name, body: account)
        }
        return stored
    }

    /// Custom resources: prunes unknown fields as `fieldValidation` says and returns the schema's violations.
    func applySchema(_ type: APIResourceType, to object: inout JSONValue) throws(APIError) -> [FieldError] {
        guard let schema = type.schema else {
            try handleUnknownFields(ObjectRules.pruneTopLevel(&object, type: type), type: type)
            return []
        }
        try handleUnknownFields(schema.prune(&object), type: type)
        return schema.validate(object)
    }

    /// Unknown fields are dropped: with a warning each (`Warn`), silently (`Ignore`), or the request fails
    /// as a strict decoding error (`Strict`).
    func handleUnknownFields(_ paths: [String], type: APIResourceType) throws(APIError) {
        guard !paths.isEmpty else { return }
        let texts = paths.map { "unknown field \"\($0)\"" }
        switch fieldValidation {
        case .ignore:
            break
        case .warn:
            warnings += texts.map { "299 - " + GoSyntax.quote($0) }
        case .strict:
            throw APIError.badRequest(
                "\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): "
                    + "strict decoding error: " + texts.joined(separator: ", "))
        }
    }

    /// Checks kind and namespace of a request body and fills `metadata.namespace`.
    func checkedBody(_ body: JSONValue, type: APIResourceType, namespace: String) throws(APIError) -> JSONValue {
        guard case .object = body else {
            throw APIError.badRequest("Object '\(type.kind)' must be a JSON object")
        }
        var object = body
        try checkTypeMeta(object, type: type)
        if object["metadata"]?.objectValue == nil { object["metadata"] = .object([:]) }
        let bodyNamespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        if type.namespaced {
            if !bodyNamespace.isEmpty && bodyNamespace != namespace {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            object["metadata"]?["namespace"] = .string(namespace)
        } else {
            object["metadata"]?["namespace"] = nil
        }
        // A custom resource keeps a wrong kind for validation to report; built-ins were decoded as their type.
        if !type.isCustom || (object["kind"]?.stringValue ?? "").isEmpty { object["kind"] = .string(type.kind) }
        object["apiVersion"] = .string(type.apiVersion)
        return object
    }

    /// What decoding the body says about a foreign `apiVersion` or `kind`: built-ins are looked up in the
    /// scheme (400); a custom resource's apiVersion must be the served one (400, after its fields were pruned
    /// as unknown), a wrong kind is left to validation.
    func checkTypeMeta(_ object: JSONValue, type: APIResourceType) throws(APIError) {
        let kind = object["kind"]?.stringValue ?? ""
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        if type.isCustom {
            guard !apiVersion.isEmpty, apiVersion != type.apiVersion else { return }
            // The decoder found no schema for that version: every field but the type and object meta is unknown.
            let fields = (object.objectValue ?? [:]).keys.filter { !["apiVersion", "kind", "metadata"].contains($0) }
            try handleUnknownFields(fields.sorted(), type: type)
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version "
                    + "(\(type.apiVersion))")
        }
        let sentKind = kind.isEmpty ? type.kind : kind
        let version = apiVersion.split(separator: "/").last.map(String.init) ?? type.version
        let prefix = "\(sentKind) in version \"\(apiVersion.isEmpty ? type.version : version)\" cannot be handled as a "
            + "\(type.kind): "
        if !apiVersion.isEmpty && apiVersion != type.apiVersion
            || sentKind != type.kind
                && !types.contains(where: { $0.apiVersion == type.apiVersion && $0.kind == sentKind })
        {
            throw APIError.badRequest(
                prefix + "no kind \"\(sentKind)\" is registered for version \"\(apiVersion)\" in scheme "
                    + "\"pkg/runtime/scheme.go:100\"")
        }
        if sentKind != type.kind {
            let internalPackage = type.group.isEmpty ? "core" : String(type.group.split(separator: ".")[0])
            throw APIError.badRequest(
                prefix + "converting (\(type.version).\(sentKind)) to (\(internalPackage).\(type.kind)): "
                    + "unknown conversion")
        }
    }

    /// The NamespaceLifecycle admission plugin: no new objects in missing or terminating namespaces.
    func checkNamespaceAccepts(_ type: APIResourceType, namespace: String, name: String) throws(APIError) {
        guard type.namespaced else { return }
        guard let object = objects[Self.namespaces]?[ObjectKey(namespace: "", name: namespace)] else {
            throw APIError.notFound(Self.namespaces, name: namespace)
        }
        if object["metadata"]?["deletionTimestamp"] != nil {
            var error = APIError.forbidden(
                type.groupResource, name: name,
                cause: "unable to create new content in namespace \(namespace) because it is being terminated")
            error.details?["causes"] = .array([
                .object([
                    "reason": .string("NamespaceTerminating"), "field": .string("metadata.namespace"),
                    "message": .string("namespace \(namespace) is being terminated"),
                ])
            ])
            throw error
        }
    }

    /// Registers (or replaces) the types a CRD serves.
    func register(_ newTypes: [APIResourceType]) {
        for newType in newTypes {
            types.removeAll { $0.group == newType.group && $0.version == newType.version && $0.plural == newType.plural }
            types.append(newType)
        }
    }

    // MARK: Update and patch

    func update(
        _ type: APIResourceType, namespace: String, name: String, body: JSONValue, statusOnly: Bool,
        dryRun: Bool = false, fieldValidation: FieldValidation = .warn, user: UserInfo? = nil
    ) throws(APIError) -> JSONValue {
        try write(dryRun: dryRun, fieldValidation: fieldValidation, user: user) { () throws(APIError) -> JSONValue in
            return try updateLocked(type, namespace: namespace, name: name, body: body, statusOnly: statusOnly,
                isPatch: false)
        }
    }

    func patch(
        _ type: APIResourceType, namespace: String, name: String, kind: PatchKind, patch: JSONValue,
        statusOnly: Bool, dryRun: Bool = false, fieldValidation: FieldValidation = .warn, user: UserInfo? = nil
    ) throws(APIError) -> JSONValue {
        try write(dryRun: dryRun, fieldValidation: fieldValidation, user: user) { () throws(APIError) -> JSONValue in
            let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
            guard var current = objects[type.groupResource]?[key] else {
                throw APIError.notFound(type.groupResource, name: name)
            }
            current["kind"] = .string(type.kind)
            current["apiVersion"] = .string(type.apiVersion)
            let patched: JSONValue
            switch kind {
            case .merge:
                guard case .object = patch else {
                    throw APIError.badRequest("merge patch must be a JSON object")
                }
                patched = current.mergePatched(with: patch)
            case .strategicMerge:
                patched = try StrategicMergePatch.apply(patch, to: current, resource: type.groupResource)
            case .json:
                patched = try JSONPatch.apply(patch, to: current)
            case .apply:
                throw APIError.unsupportedMediaType("application/apply-patch+yaml", accepted: [])
            }
            return try updateLocked(type, namespace: namespace, name: name, body: patched, statusOnly: statusOnly,
                isPatch: true)
        }
    }

    /// The update path shared by PUT and PATCH (a patch is applied to the current object first).
    func updateLocked(
        _ type: APIResourceType, namespace: String, name: String, body: JSONValue, statusOnly: Bool, isPatch: Bool
    ) throws(APIError) -> JSONValue {
        let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
        guard let old = objects[type.groupResource]?[key] else {
            if type.allowCreateOnUpdate && !statusOnly && !isPatch {
                return try createLocked(type, namespace: namespace, body: body)
            }
            throw APIError.notFound(type.groupResource, name: name)
        }
        var new = try checkedBody(body, type: type, namespace: namespace)
        let bodyName = new["metadata"]?["name"]?.stringValue ?? ""
        if bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        let oldMeta = old["metadata"] ?? .object([:])
        let oldRV = oldMeta["resourceVersion"]?.stringValue ?? ""
        let requestedRV = new["metadata"]?["resourceVersion"]?.stringValue ?? ""
        if requestedRV.isEmpty {
            if type.isCustom && !isPatch {
                // Raised by the storage layer, which names the resource, not the kind.
                throw APIError.invalid(
                    kind: type.plural, group: type.group, name: name,
                    causes: [.invalid("metadata.resourceVersion", value: "0x0", "must be specified for an update")])
            }
        } else if UInt64(requestedRV) == nil {
            // The storage layer parses it before comparing: an internal error, without a reason.
            throw APIError(
                code: 500, reason: "", message: "strconv.ParseUint: parsing \"\(requestedRV)\": invalid syntax")
        } else if requestedRV != oldRV {
            throw APIError.conflict(type.groupResource, name: name)
        }
        if isPatch, let uid = new["metadata"]?["uid"]?.stringValue, !uid.isEmpty, uid != oldMeta["uid"]?.stringValue {
            // A patch carries no uid precondition: ObjectMeta update validation refuses it, once in the
            // strategy's ValidateUpdate and once in BeforeUpdate, hence the repeated cause.
            let cause = FieldError.invalid("metadata.uid", value: "\"\(uid)\"", "field is immutable")
            throw APIError.invalid(kind: type.kind, group: type.group, name: name, causes: [cause, cause])
        }
        if let uid = new["metadata"]?["uid"]?.stringValue, !uid.isEmpty, uid != oldMeta["uid"]?.stringValue {
            throw APIError.conflict(
                type.groupResource, name: name,
                cause: "StorageError: invalid object, Code: 4, "
                    + "Key: /registry/\(type.storagePath(namespace: key.namespace, name: name)), ResourceVersion: 0, "
                    + "AdditionalErrorMsg: Precondition failed: UID in precondition: \(uid), UID in object meta: "
                    + (oldMeta["uid"]?.stringValue ?? ""))
        }
        // Through /status, label and annotation changes are dropped, but the write still records them
        // in managedFields, so it is not a no-op.
        let ignoredMetadataChange =
            statusOnly
            && (new["metadata"]?["labels"] != oldMeta["labels"]
                || new["metadata"]?["annotations"] != oldMeta["annotations"])
        try ObjectRules.prepareForUpdate(&new, old: old, type: type, statusOnly: statusOnly)
        for field in [
            "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace",
            "name", "resourceVersion",
        ] {
            new["metadata"]?[field] = oldMeta[field]
        }
        new["metadata"]?["selfLink"] = nil
        if oldMeta["deletionTimestamp"] != nil {
            let before = Set(oldMeta["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let added = (new["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                .filter { !before.contains($0) }
            if !added.isEmpty {
                // The real validation reports this cause twice (ObjectMeta update validation runs it for
                // the generic and the type-specific strategy).
                let cause = FieldError.forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                        + "[]string{" + added.map { "\"\($0)\"" }.joined(separator: ", ") + "}")
                throw APIError.invalid(kind: type.kind, group: type.group, name: name, causes: [cause, cause])
            }
        }
        let schemaErrors = try applySchema(type, to: &new)
        let violations = ObjectValidation.update(new, old: old, type: type, schemaErrors: schemaErrors)
        if !violations.isEmpty {
            let kind = new["kind"]?.stringValue ?? type.kind
            throw APIError.invalid(kind: kind, group: type.group, name: name, causes: violations)
        }
        if type.tracksGeneration, ObjectRules.bumpsGeneration(old: old, new: new, type: type) {
            let generation = oldMeta["generation"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 0
            new["metadata"]?["generation"] = .number(generation + 1)
        }
        try admit(
            type, operation: "UPDATE", subresource: statusOnly ? "status" : "", namespace: key.namespace, name: name,
            object: new, oldObject: old, options: "UpdateOptions")
        if new == old && !ignoredMetadataChange { return old }  // The real server writes nothing for a no-op update.
        if type.groupResource == Self.crds { try register(APIResourceType.fromCRD(new)) }
        if oldMeta["deletionTimestamp"] != nil && (new["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty
            && type.plural != "namespaces"
        {
            // The DELETED event carries the last stored object (finalizer included); the write itself
            // answers the updated object at its old resourceVersion.
            _ = remove(type, key: key, object: old)
            return new
        }
        return commit(type, key: key, object: new, eventType: "MODIFIED", previous: old)
    }

    // MARK: Delete

    func delete(
        _ type: APIResourceType, namespace: String, name: String, preconditions: DeletePreconditions,
        propagationPolicy: String? = nil, dryRun: Bool = false, user: UserInfo? = nil
    ) throws(APIError) -> DeleteOutcome {
        try write(dryRun: dryRun, user: user) { () throws(APIError) -> DeleteOutcome in
            let key = ObjectKey(namespace: type.namespaced ? namespace : "", name: name)
            guard let old = objects[type.groupResource]?[key] else {
                throw APIError.notFound(type.groupResource, name: name)
            }
            let meta = old["metadata"] ?? .object([:])
            if let uid = preconditions.uid, uid != meta["uid"]?.stringValue {
                throw APIError.preconditionConflict(
                    type, name: name,
                    cause: "the UID in the precondition (\(uid)) does not match the UID in record ("
                        + (meta["uid"]?.stringValue ?? "") + "). The object might have been deleted and then recreated")
            }
            if let rv = preconditions.resourceVersion, rv != meta["resourceVersion"]?.stringValue {
                throw APIError.preconditionConflict(
                    type, name: name,
                    cause: "the ResourceVersion in the precondition (\(rv)) does not match the ResourceVersion in "
                        + "record (" + (meta["resourceVersion"]?.stringValue ?? "")
                        + "). The object might have been modified")
            }
            var options: [String: JSONValue] = [:]
            if let propagationPolicy { options["propagationPolicy"] = .string(propagationPolicy) }
            try admit(
                type, operation: "DELETE", namespace: key.namespace, name: name, object: nil, oldObject: old,
                options: "DeleteOptions", extraOptions: options)
            return deleteLocked(type, key: key, propagationPolicy: propagationPolicy)
        }
    }

    /// Deletes now, or marks for deletion when finalizers (or namespace content) must go first.
    /// `propagationPolicy` Foreground and Orphan add the `foregroundDeletion` / `orphan` finalizer,
    /// which the garbage collector acts on (see `collectGarbage`).
    func deleteLocked(_ type: APIResourceType, key: ObjectKey, propagationPolicy: String? = nil) -> DeleteOutcome {
        guard let old = objects[type.groupResource]?[key] else { return .deleted(.null) }
        if old["metadata"]?["deletionTimestamp"] != nil { return .pending(old) }
        var finalizers = old["metadata"]?["finalizers"]?.arrayValue ?? []
        let policyFinalizer: String? =
            switch propagationPolicy {
            case "Foreground": "foregroundDeletion"
            case "Orphan": "orphan"
            default: nil
            }
        if let policyFinalizer, !finalizers.contains(.string(policyFinalizer)) {
            finalizers.append(.string(policyFinalizer))
        }
        if type.plural == "namespaces" || !finalizers.isEmpty {
            var marked = old
            marked["metadata"]?["deletionTimestamp"] = .string(Timestamp.format(Date()))
            if !finalizers.isEmpty { marked["metadata"]?["finalizers"] = .array(finalizers) }
            if type.plural == "namespaces" {
                marked["status"] = .object(["phase": .string("Terminating")])
            } else {
                marked["metadata"]?["deletionGracePeriodSeconds"] = .number(0)
            }
            if type.tracksGeneration {
                let generation = marked["metadata"]?["generation"].flatMap {
                    if case .number(let n) = $0 { n } else { nil }
                }
                marked["metadata"]?["generation"] = .number((generation ?? 0) + 1)
            }
            return .pending(commit(type, key: key, object: marked, eventType: "MODIFIED", previous: old))
        }
        if type.groupResource == Self.crds { dropCustomResources(of: old) }
        return .deleted(remove(type, key: key, object: old))
    }

    /// A deleted CRD takes its custom resources and its served types with it.
    private func dropCustomResources(of crd: JSONValue) {
        guard let group = crd["spec"]?["group"]?.stringValue,
            let plural = crd["spec"]?["names"]?["plural"]?.stringValue,
            let type = types.first(where: { $0.group == group && $0.plural == plural })
        else { return }
        for (key, object) in (objects[type.groupResource] ?? [:]).sorted(by: { $0.key < $1.key }) {
            _ = remove(type, key: key, object: object)
        }
        types.removeAll { $0.group == group && $0.plural == plural }
    }

    // MARK: Admission

    /// Validating admission webhooks for a client's write (not for the server's own writes, nor for
    /// webhook configurations themselves). Their warnings join the write's. Lock held.
    func admit(
        _ type: APIResourceType, operation: String, subresource: String = "", namespace: String, name: String,
        object: JSONValue?, oldObject: JSONValue?, options kind: String, extraOptions: [String: JSONValue] = [:]
    ) throws(APIError) {
        guard let user = requestUser, type.groupResource != ValidatingAdmission.configurations,
            let configurations = objects[ValidatingAdmission.configurations], !configurations.isEmpty
        else { return }
        func typed(_ object: JSONValue?) -> JSONValue? {
            guard var object else { return nil }
            object["apiVersion"] = .string(type.apiVersion)
            object["kind"] = .string(type.kind)
            return object
        }
        // A cluster-scoped object other than a Namespace always matches a namespaceSelector.
        let namespaceLabels: [String: String]? =
            type.groupResource == Self.namespaces
            ? LabelQuery.labels(of: object ?? oldObject ?? .null)
            : type.namespaced
                ? LabelQuery.labels(of: objects[Self.namespaces]?[ObjectKey(namespace: "", name: namespace)] ?? .null)
                : nil
        var options = extraOptions
        options["kind"] = .string(kind)
        options["apiVersion"] = .string("meta.k8s.io/v1")
        let attributes = AdmissionAttributes(
            type: type, subresource: subresource, operation: operation, namespace: namespace, name: name,
            object: typed(object), oldObject: typed(oldObject), options: options, dryRun: dryRun, user: user)
        warnings += try ValidatingAdmission.admit(
            attributes, configurations: configurations.keys.sorted().compactMap { configurations[$0] },
            namespaceLabels: namespaceLabels)
    }

    // MARK: Commit

    /// Runs one write with the lock held, then wakes the garbage collector if the write may have
    /// given it work (outside the lock, so the collector can take it).
    func write<T>(
        dryRun: Bool = false, fieldValidation: FieldValidation = .warn, user: UserInfo? = nil,
        _ body: () throws(APIError) -> T
    ) throws(APIError) -> T {
        lock.lock()
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
        requestUser = user
        warnings = []
        defer {
            self.dryRun = false
            self.fieldValidation = .warn
            requestUser = nil
        }
        let result: Result<T, APIError>
        do throws(APIError) {
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
        let collect = takeCollectionNeed()
        lock.unlock()
        if collect { requestCollection() }
        return try result.get()
    }

    /// Whether a change since the last call may give the garbage collector or the namespace
    /// controller work (an object went away, has owners, or is being deleted). Lock held.
    func takeCollectionNeed() -> Bool {
        defer { collectionNeeded = false }
        return collectionNeeded
    }

    /// Stores `object` at a new resourceVersion and publishes the event. Lock held.
    func commit(
        _ type: APIResourceType, key: ObjectKey, object: JSONValue, eventType: String, previous: JSONValue?
    ) -> JSONValue {
        if dryRun { return object }  // answered as it would be stored, resourceVersion not advanced
        resourceVersion += 1
        if type.group == RBAC.group { rbacRevision += 1 }
        var stored = object
        stored["metadata"]?["resourceVersion"] = .string(String(resourceVersion))
        let previousStored = objects[type.groupResource]?[key]
        objects[type.groupResource, default: [:]][key] = stored
        let reference = ObjectReference(resource: type.groupResource, key: key)
        if ownership.stored(stored, previous: previousStored, at: reference)
            || stored["metadata"]?["deletionTimestamp"] != nil
        {
            collectionNeeded = true
        }
        hub.publish(
            WatchRecord(
                resourceVersion: resourceVersion, resource: type.groupResource, namespace: key.namespace,
                type: eventType, object: stored, previous: previous))
        return stored
    }

    /// Removes an object; the DELETED event carries its last state at the deletion's resourceVersion.
    func remove(_ type: APIResourceType, key: ObjectKey, object: JSONValue) -> JSONValue {
        if dryRun { return object }
        resourceVersion += 1
        if type.group == RBAC.group { rbacRevision += 1 }
        var last = object
        last["metadata"]?["resourceVersion"] = .string(String(resourceVersion))
        if let current = objects[type.groupResource]?[key] {
            ownership.removed(current, at: ObjectReference(resource: type.groupResource, key: key))
        }
        objects[type.groupResource]?[key] = nil
        collectionNeeded = true
        hub.publish(
            WatchRecord(
                resourceVersion: resourceVersion, resource: type.groupResource, namespace: key.namespace,
                type: "DELETED", object: last, previous: nil))
        return last
    }
}
