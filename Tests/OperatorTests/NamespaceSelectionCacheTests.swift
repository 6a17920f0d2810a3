import CRDModels
import Testing

@testable import KubeClient
@testable import Operator

/// A kept selection is the one resolving now would give: the namespace cache changing or the resource asking for
/// something else resolves again.
@Suite struct NamespaceSelectionCacheTests {
    let namespaces = ObjectStore<CachedNamespace>()
    let cache = NamespaceSelectionCache()
    let pull = LabelSelector(matchLabels: ["ecr-pull": "true"])

    func namespace(_ name: String, pull: Bool) -> CachedNamespace {
        let labels = ["ecr-pull": pull ? "true" : "false"]
        let metadata = ObjectMeta(name: name, labels: labels, resourceVersion: "\(name)-\(pull)")
        return CachedNamespace(Namespace(metadata: metadata))
    }

    func selection(list: [String] = [], selector: LabelSelector?, watchNamespace: String? = nil) -> [String] {
        cache.selection(
            for: "r", list: list, selector: selector, watchNamespace: watchNamespace, namespaces: namespaces
        ).targets
    }

    @Test func namespaceChangesAreSeen() {
        _ = namespaces.replace(with: [namespace("a", pull: true), namespace("b", pull: false)])
        #expect(selection(selector: pull) == ["a"])
        #expect(selection(selector: pull) == ["a"])
        _ = namespaces.replace(with: [namespace("a", pull: true), namespace("b", pull: true)])
        #expect(selection(selector: pull) == ["a", "b"])
        _ = namespaces.replace(with: [namespace("b", pull: true)])
        #expect(selection(selector: pull) == ["b"])
    }

    @Test func whatTheResourceAsksForIsPartOfTheKey() {
        _ = namespaces.replace(with: [namespace("a", pull: true), namespace("b", pull: false)])
        #expect(selection(selector: pull) == ["a"])
        #expect(selection(selector: LabelSelector()) == ["a", "b"])
        #expect(selection(list: ["b"], selector: pull) == ["a", "b"])
        #expect(selection(list: ["b"], selector: pull, watchNamespace: "a") == ["a"])
        #expect(selection(selector: nil) == [])
    }

    @Test func eachResourceHasItsOwnAndForgettingDropsIt() {
        _ = namespaces.replace(with: [namespace("a", pull: true), namespace("b", pull: false)])
        #expect(selection(selector: pull) == ["a"])
        let other = cache.selection(
            for: "s", list: ["b"], selector: nil, watchNamespace: nil, namespaces: namespaces)
        #expect(other.targets == ["b"])
        #expect(selection(selector: pull) == ["a"])
        #expect(cache.count == 2)
        cache.forget("s")
        cache.forget("r")
        #expect(cache.count == 0)
    }
}
