import Foundation
import Testing

@testable import CRDModels

/// `spec.registries` has one bound, and the webhook, the CRD schema and the code agree on it.
@Suite struct RegistryLimitTests {
    static func registries(_ count: Int) -> [RegistrySpec] {
        (0..<count).map { RegistrySpec(accountID: String(format: "%012d", 100_000_000_000 + $0)) }
    }

    @Test(arguments: SchemaAgreementTests.Kind.allCases)
    func schemaMaxItemsIsTheValidatorsLimit(kind: SchemaAgreementTests.Kind) throws {
        let registries = try #require(kind.schema()["properties"]?["spec"]?["properties"]?["registries"])
        #expect(registries["maxItems"] == .number(Double(RegistrySpec.maxCount)))
    }

    @Test func validationAcceptsTheLimitAndNamesFieldAndRuleBeyondIt() {
        var atLimit = Base.namespaced
        atLimit.spec.registries = Self.registries(RegistrySpec.maxCount)
        #expect(atLimit.validate(ambientPolicy: .clusterOnly).errors == [])

        var over = Base.cluster
        over.spec.registries = Self.registries(RegistrySpec.maxCount + 1)
        let errors = over.validate(ambientPolicy: .clusterOnly).errors
        #expect(
            errors == [
                FieldViolation(field: "spec.registries", message: "must have at most 50 items, has 51")
            ])
    }

    @Test func schemaCheckerRejectsOneMoreThanTheLimit() throws {
        let sample = try #require(SchemaAgreementTests.samples().first { $0.file == "namespaced-secretref.yaml" })
        let checker = try StructuralSchemaChecker(schema: SchemaAgreementTests.Kind.namespaced.schema())
        func withRegistries(_ count: Int) -> JSONValue {
            let items = (0..<count).map { index in
                JSONValue.object(["accountID": .string(String(format: "%012d", 100_000_000_000 + index))])
            }
            return sample.json.mergePatched(with: SchemaAgreementTests.patch("spec.registries", .array(items)))
        }
        #expect(checker.violations(of: withRegistries(RegistrySpec.maxCount)) == [])
        #expect(
            checker.violations(of: withRegistries(RegistrySpec.maxCount + 1)) == [
                "spec.registries: more than maxItems 50"
            ])
    }
}
