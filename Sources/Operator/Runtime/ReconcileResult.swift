/// What a reconcile asks for next (controller-runtime `reconcile.Result`).
public enum ReconcileResult: Sendable, Equatable {
    /// Nothing scheduled: wait for a change.
    case done
    /// Run again after this delay (the refresh schedule).
    case requeueAfter(Duration)
}
