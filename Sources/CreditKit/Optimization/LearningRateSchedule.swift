import Foundation

/// The step size of every epoch: `η_e = η₀ · γ^(e−1)` for epoch `e = 1, 2, …` (`γ = 1`: constant).
///
/// The schedule is a value derived from the run's configuration, never stored state: a resumed
/// run computes the rate of the epoch it continues with, so checkpoints need not record it.
public struct LearningRateSchedule: Sendable, Codable, Equatable {
    /// `η₀`, the rate of the first epoch.
    public var initial: Float
    /// `γ`, the factor applied after every epoch.
    public var decayPerEpoch: Float

    /// η₀, times γ after every epoch.
    public init(initial: Float, decayPerEpoch: Float = 1) {
        self.initial = initial
        self.decayPerEpoch = decayPerEpoch
    }

    /// The learning rate of `epoch` (1-based).
    public func rate(inEpoch epoch: Int) -> Float {
        initial * pow(decayPerEpoch, Float(epoch - 1))
    }
}
