import Dispatch

/// Splits large elementwise work across the machine's cores.
///
/// Only worth it for passes over megabytes (a 800×800 weight update), where the work outweighs
/// the ~10 µs it costs to wake a second thread; smaller ranges run inline.
enum Parallel {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    static let minimumElementsPerThread = 1 << 18

    /// Calls `body(range)` on disjoint chunks of `0..<count`, aligned to 8 elements.
    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(cores, count / minimumElementsPerThread)
        guard chunks > 1 else { body(0..<count); return }
        let chunk = (count / chunks + 7) & ~7
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lower = c * chunk
                box.value(lower..<min(count, lower + chunk))
            }
        }
    }
}

/// A value handed to other threads when the caller guarantees they touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import Foundation
