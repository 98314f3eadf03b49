import Foundation

/// Splits large elementwise work across the machine's cores.
///
/// Only worth it for passes over megabytes (a 800×800 weight update), where the work outweighs
/// the ~10 µs it costs to wake a second thread; smaller ranges run inline.
enum Parallel {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    static let minimumElementsPerThread = 1 << 18

    /// A kernel over the elements `lower..<upper`, with its operands behind `context`. A C function
    /// rather than a Swift closure so that handing it to other threads allocates nothing.
    typealias ChunkKernel = @convention(c) (_ context: UnsafeRawPointer, _ lower: Int, _ upper: Int) -> Void

    /// Calls `kernel(context, chunk)` on disjoint chunks of `0..<count`, aligned to 8 elements,
    /// each at least `minimumPerThread` long (lower it for work that costs more than memory
    /// traffic per element, such as `exp`).
    static func forEachChunk(_ count: Int, minimumPerThread: Int = minimumElementsPerThread, context: UnsafeRawPointer,
                             _ kernel: ChunkKernel) {
        let chunks = min(cores, count / minimumPerThread)
        guard chunks > 1 else { kernel(context, 0, count); return }
        WorkerPool.shared.run(Job(kernel: kernel, context: context, count: count, chunk: (count / chunks + 7) & ~7, parts: chunks))
    }

    struct Job {
        var kernel: ChunkKernel
        var context: UnsafeRawPointer
        var count: Int
        var chunk: Int
        var parts: Int

        func run(part: Int) {
            let lower = part * chunk
            kernel(context, lower, min(count, lower + chunk))
        }
    }
}

/// A fixed set of threads that run parts of one job while the caller runs part 0.
///
/// `DispatchQueue.concurrentPerform` allocates a few continuation objects per call, which would
/// put heap allocations into every training step; these threads are created once and handed the
/// job through a mutex and condition variables, so a call allocates nothing.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(threads: Parallel.cores - 1)

    /// Serializes callers: one job at a time, whichever thread asks.
    private let callerLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let threadCount: Int
    // Guarded by `lock`.
    private var job = Parallel.Job(kernel: { _, _, _ in }, context: UnsafeRawPointer(bitPattern: 1)!, count: 0, chunk: 0, parts: 0)
    private var hasJob = false
    private var nextPart = 0
    private var unfinished = 0

    private init(threads: Int) {
        threadCount = max(0, threads)
        pthread_mutex_init(callerLock, nil)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
        for _ in 0..<threadCount {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "creditkit.worker"
            thread.start()
        }
    }

    /// Runs every part of `job`, spread over the caller and the pool, and returns when all have
    /// finished. Concurrent callers take turns; a job's kernel must not call `run` itself.
    func run(_ job: Parallel.Job) {
        guard threadCount > 0 else {
            for part in 0..<job.parts { job.run(part: part) }
            return
        }
        pthread_mutex_lock(callerLock)
        defer { pthread_mutex_unlock(callerLock) }
        pthread_mutex_lock(lock)
        self.job = job
        hasJob = true
        nextPart = 1
        unfinished = job.parts - 1
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)

        job.run(part: 0)
        // The caller also takes parts the workers have not claimed yet.
        while let part = claim() {
            job.run(part: part)
            partFinished()
        }

        pthread_mutex_lock(lock)
        while unfinished > 0 { pthread_cond_wait(finished, lock) }
        hasJob = false
        pthread_mutex_unlock(lock)
    }

    private func claim() -> Int? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard hasJob, nextPart < job.parts else { return nil }
        nextPart += 1
        return nextPart - 1
    }

    private func partFinished() {
        pthread_mutex_lock(lock)
        unfinished -= 1
        if unfinished == 0 { pthread_cond_signal(finished) }
        pthread_mutex_unlock(lock)
    }

    private func work() {
        while true {
            pthread_mutex_lock(lock)
            while !hasJob || nextPart >= job.parts { pthread_cond_wait(wake, lock) }
            let job = job
            let part = nextPart
            nextPart += 1
            pthread_mutex_unlock(lock)
            job.run(part: part)
            partFinished()
        }
    }
}
