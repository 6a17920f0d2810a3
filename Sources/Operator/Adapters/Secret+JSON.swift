import CRDModels
import FoundationEssentials
import KubeClient

extension Secret {
    /// This Secret as JSON, written directly: the same object `JSONEncoder` writes (`SecretJSONTests` decode
    /// both and compare), without its generic machinery, which was a tenth of the operator's CPU in a refresh.
    /// A data value equal to `desired.dockerConfigJSON` is written as its `dockerConfigBase64`, encoded once
    /// per reconcile for every namespace. Nil when the metadata holds `managedFields` (opaque JSON, which only
    /// a read returns): the caller lets the encoder write that Secret.
    func json(reusingEncodingOf desired: DesiredSecret) -> Data? {
        guard metadata.managedFields == nil else { return nil }
        var json = JSONText(capacity: 512 + desired.dockerConfigBase64.utf8.count)
        json.append(#"{"apiVersion":"#)
        json.append(string: apiVersion)
        json.append(#","kind":"#)
        json.append(string: kind)
        json.append(#","metadata":"#)
        json.append(metadata: metadata)
        if let data {
            json.append(#","data":{"#)
            var first = true
            for (key, value) in data {
                if !first { json.append(",") }
                first = false
                json.append(key: key)
                // Base64 needs no escaping.
                json.append("\"")
                json.append(
                    value == desired.dockerConfigJSON ? desired.dockerConfigBase64 : value.base64EncodedString())
                json.append("\"")
            }
            json.append("}")
        }
        if let stringData {
            json.append(#","stringData":"#)
            json.append(object: stringData)
        }
        if let type {
            json.append(#","type":"#)
            json.append(string: type)
        }
        if let immutable { json.append(immutable ? #","immutable":true"# : #","immutable":false"#) }
        json.append("}")
        return Data(json.bytes)
    }
}

extension JSONText {
    /// `ObjectMeta` without `managedFields`: every other field that is set.
    fileprivate mutating func append(metadata: ObjectMeta) {
        var opened = false
        if let name = metadata.name { member("name", &opened, string: name) }
        if let generateName = metadata.generateName { member("generateName", &opened, string: generateName) }
        if let namespace = metadata.namespace { member("namespace", &opened, string: namespace) }
        if let uid = metadata.uid { member("uid", &opened, string: uid) }
        if let version = metadata.resourceVersion { member("resourceVersion", &opened, string: version) }
        if let generation = metadata.generation { member("generation", &opened, raw: String(generation)) }
        if let created = metadata.creationTimestamp { member("creationTimestamp", &opened, string: created) }
        if let deleted = metadata.deletionTimestamp { member("deletionTimestamp", &opened, string: deleted) }
        if let grace = metadata.deletionGracePeriodSeconds {
            member("deletionGracePeriodSeconds", &opened, raw: String(grace))
        }
        if let labels = metadata.labels {
            member("labels", &opened)
            append(object: labels)
        }
        if let annotations = metadata.annotations {
            member("annotations", &opened)
            append(object: annotations)
        }
        if let references = metadata.ownerReferences {
            member("ownerReferences", &opened)
            append(array: references) { $0.append(ownerReference: $1) }
        }
        if let finalizers = metadata.finalizers {
            member("finalizers", &opened)
            append(array: finalizers) { $0.append(string: $1) }
        }
        append(opened ? "}" : "{}")
    }

    /// Starts a member of an object being written: `{` before the first (`opened` false), `,` before the others,
    /// then `"key":` (`key` is a field name that needs no escaping) and the value, if given.
    private mutating func member(_ key: String, _ opened: inout Bool, string: String? = nil, raw: String? = nil) {
        append(opened ? ",\"" : "{\"")
        opened = true
        append(key)
        append("\":")
        if let string { append(string: string) }
        if let raw { append(raw) }
    }

    private mutating func append<Element>(array: [Element], _ appendElement: (inout JSONText, Element) -> Void) {
        append("[")
        for (index, element) in array.enumerated() {
            if index > 0 { append(",") }
            appendElement(&self, element)
        }
        append("]")
    }

    private mutating func append(ownerReference reference: OwnerReference) {
        append(#"{"apiVersion":"#)
        append(string: reference.apiVersion)
        append(#","kind":"#)
        append(string: reference.kind)
        append(#","name":"#)
        append(string: reference.name)
        append(#","uid":"#)
        append(string: reference.uid)
        if let controller = reference.controller {
            append(controller ? #","controller":true"# : #","controller":false"#)
        }
        if let block = reference.blockOwnerDeletion {
            append(block ? #","blockOwnerDeletion":true"# : #","blockOwnerDeletion":false"#)
        }
        append("}")
    }
}
