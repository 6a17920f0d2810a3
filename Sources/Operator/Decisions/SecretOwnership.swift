import CRDModels

/// Whether an existing Secret of the target name belongs to a resource, may be adopted by it, or
/// must be left alone.
public enum SecretOwnership: Sendable, Equatable {
    /// No Secret of that name: create it.
    case absent
    /// Its controller ownerReference names the resource's uid: update it in place.
    case owned
    /// Foreign, but annotated `ecr.pullsecrets.dev/adopt: "true"`: take it over in place.
    case adoptable
    /// Foreign and not marked for adoption: report `SecretConflict`, never overwrite.
    case conflict(String)

    /// The annotation that allows adoption, with its only accepted value.
    public static let adoptAnnotation = Annotations.adopt
    /// The only Secret type the operator writes; the API server refuses to change a type.
    public static let dockerConfigJSONType = DockerConfigJSON.secretType

    /// Classifies `existing` (nil when there is no such Secret) against the owner's uid.
    /// A Secret of another type can never be taken over, because `type` is immutable and the
    /// operator never deletes and recreates. `existingType` is nil when only the metadata was read
    /// (the type is then checked once the whole Secret is read, before any write).
    public static func classify(existing: ObjectMeta?, existingType: String?, ownerUID: String) -> SecretOwnership {
        guard let existing else { return .absent }
        let controller = existing.ownerReferences?.first { $0.controller == true }
        if let controller, controller.uid == ownerUID {
            return .owned
        }
        let name = existing.name ?? ""
        if let type = existingType, type != dockerConfigJSONType {
            return .conflict(
                "Secret \(name) exists with type \(type); it cannot become \(dockerConfigJSONType) in place")
        }
        if existing.annotations?[adoptAnnotation] == Annotations.adoptValue {
            return .adoptable
        }
        if let controller {
            return .conflict(
                "Secret \(name) is controlled by \(controller.kind) \(controller.name); "
                    + "annotate it \(adoptAnnotation)=\"true\" to let this resource take it over")
        }
        return .conflict(
            "Secret \(name) exists and is not managed by this resource; "
                + "annotate it \(adoptAnnotation)=\"true\" to let this resource take it over")
    }
}
