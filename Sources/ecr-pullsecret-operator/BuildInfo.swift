/// What this binary is. `version` is the chart's `appVersion` (`test/chart/test_version.py` fails when
/// they differ); `commit` is stamped by `hack/stamp-commit.sh` before a release build (the Dockerfile and
/// `hack/image-check.sh` run it) and stays `unknown` in a build outside git or without the stamp.
enum BuildInfo {
    static let version = "0.1.0"
    static let commit = "unknown"

    /// What `--version` prints.
    static var description: String { "\(version) (commit \(commit))" }

    static let metricName = "ecr_pullsecret_build_info"
}
