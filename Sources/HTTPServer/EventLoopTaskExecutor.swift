import NIOCore
import NIOPosix

/// Runs the jobs of tasks that prefer it on one NIO event loop (SE-0417 task executor preference).
///
/// A webhook connection starts its handler's task with this preference, so a request is read, handled and
/// answered on the same thread: no wake-up of a thread of the global pool and no hop back to the event loop per
/// request. The operator runs all its tasks on one of its own (`onOwnThread()`). Code awaited on an actor still
/// runs on that actor's executor; default actors run on the preferred executor.
public final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop
    /// The group that owns `eventLoop` when this executor made it: kept for the life of the executor.
    private let ownGroup: MultiThreadedEventLoopGroup?

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        ownGroup = nil
    }

    private init(group: MultiThreadedEventLoopGroup) {
        eventLoop = group.next()
        ownGroup = group
    }

    /// An executor on a thread of its own, for the life of the process.
    public static func onOwnThread() -> EventLoopTaskExecutor {
        EventLoopTaskExecutor(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
