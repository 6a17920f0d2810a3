extension RegistrySpec {
    /// Most entries `spec.registries` may list (the CRD's `maxItems` says the same). Each registry adds a
    /// login of several KB (password and `auth`, base64 of both) to the target Secret, which the API server
    /// caps at 1 MiB, and each ten ids of a region cost one more `GetAuthorizationToken` call per refresh.
    public static let maxCount = 50
}
