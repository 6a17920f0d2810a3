import NIOCore

/// Runs the jobs of tasks that prefer it on one NIO event loop (SE-0417 task executor preference).
///
/// A connection starts its handler's task with this preference, so a request is read, handled and answered
/// on the same thread: no wake-up of a thread of the global pool and no hop back to the event loop per
/// request. Code the handler awaits on an actor still runs on that actor's executor.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
