import ArgumentParser
import FoundationEssentials
import KubeClient
import Logging
import Operator

/// `ecr-pullsecret-operator cleanup`: what uninstalling needs once the operator is stopped. Removes the
/// operator's finalizer from every resource of both kinds and the ServiceAccount `imagePullSecrets` entries
/// it added, so a namespace holding a resource can still be deleted. The chart runs it as a post-delete hook.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove the operator's finalizers and the ServiceAccount entries it added (for uninstalling).",
        discussion: """
            Run it after the operator has stopped (a running operator adds both back). It removes the finalizer \
            ecr.pullsecrets.dev/service-accounts from every AWSECRImagePullSecret and \
            ClusterAWSECRImagePullSecret, and from each ServiceAccount the imagePullSecrets entries that the \
            operator added (recorded in its annotation ecr.pullsecrets.dev/added-image-pull-secrets); entries \
            added by anyone else stay. Resources, their Secrets and the CRDs are kept. Safe to run again; exits \
            non-zero if any object could not be cleaned.
            Needs: get, list and patch on both kinds and on ServiceAccounts.
            The operator's connection and logging options apply: --kubeconfig, --context, --log-format, --log-level \
            (see ecr-pullsecret-operator --help).
            """)

    /// The operator's own --kubeconfig, --context, --log-format and --log-level apply: ArgumentParser gives options
    /// named like the parent's to the parent, wherever they stand on the command line.
    @ParentCommand var operatorOptions: OperatorCommand

    @Option(
        help: """
            Only clean this namespace, as the operator's --watch-namespace (the cluster kind is then left alone). \
            Empty: every namespace.
            """)
    var namespace: String = ""

    @Option(
        help: """
            Clean ServiceAccounts (false: skip them, for an operator that was never allowed to patch them; then \
            no ServiceAccount permissions are needed).
            """)
    var serviceAccounts: Bool = true

    func run() async throws {
        operatorOptions.logFormat.bootstrap(level: operatorOptions.logLevel)
        let logger = Logger(label: "ecr-pullsecret-operator.cleanup")
        let config = try KubeConfig.resolve(
            kubeconfigPath: operatorOptions.kubeconfig, context: operatorOptions.context,
            environment: ProcessInfo.processInfo.environment)
        let client = try await KubeClient.connect(config: config, logger: logger)
        logger.info("cleanup starting", metadata: ["watch.namespace": "\(namespace.isEmpty ? "<all>" : namespace)"])
        let report = await OperatorCleanup(
            client: client, namespace: namespace, serviceAccounts: serviceAccounts, logger: logger).run()
        let summary: Logger.Metadata = [
            "finalizers.removed": "\(report.finalizersRemoved.count)",
            "serviceaccounts.cleaned": "\(report.serviceAccountsCleaned.count)",
            "failures": "\(report.failures.count)",
        ]
        guard report.failures.isEmpty else {
            logger.error("cleanup incomplete; fix the errors above and run it again", metadata: summary)
            throw ExitCode.failure
        }
        logger.info("cleanup done", metadata: summary)
    }
}
