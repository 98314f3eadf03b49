import Foundation

/// Murray's (2019) periodic-output task, as in the authors' RFLO notebook: no input (one silent
/// channel), trials of `period` steps that each start from the state 0.1 in every unit, and the
/// target of three harmonics,
///
///     y*(t) = sin(2πt/P) + ½ sin(4πt/P) + ¼ sin(8πt/P),   t = 1 … P,
///
/// the same in every trial. The loss is ½ the squared error per step; its mean over a trial is
/// the notebook's `0.5*np.mean(err**2)`.
public struct PeriodicOutput: SequenceTask {
    /// `P`, the steps of one period (and one trial).
    public var period: Int

    /// The notebook's task: a period of 100 steps.
    public init(period: Int = 100) {
        self.period = period
    }

    public var inputWidth: Int { 1 }
    public var outputWidth: Int { 1 }
    public var loss: Loss { .squaredError }
    public var trialLength: Int? { period }
    /// The notebook's `h_init = 0.1*np.ones(n_rec)`: with no input, a state of zeros would stay
    /// at zero until the biases moved.
    public var initialState: Float { 0.1 }
    public var scoring: SequenceScoring { .normalizedError(targetVariance: targetVariance) }
    public var description: String { "periodic output, period \(period)" }

    /// The target at step `t` of a trial (`t = 1 … P`).
    public func target(at t: Int) -> Float {
        let phase = 2 * Double.pi * Double(t) / Double(period)
        return Float(sin(phase) + 0.5 * sin(2 * phase) + 0.25 * sin(4 * phase))
    }

    /// The target's variance over a period (its mean is 0): what a silent output's MSE would be.
    public var targetVariance: Double {
        (1...period).reduce(0.0) { $0 + Double(target(at: $1)) * Double(target(at: $1)) } / Double(period)
    }

    public func validate() throws(ConfigurationError) {
        guard period >= 8 else {
            throw .invalid(field: "task.period", value: "\(period)", expected: "a period of at least 8 steps (the fourth harmonic needs 2 per cycle)")
        }
    }

    /// Nothing random: every trial is the same. `steps` is a multiple of the period.
    public func generate(streams: Int, steps: Int, random: inout RandomSource) -> SequenceBatch {
        var batch = SequenceBatch(streams: streams, steps: steps, inputWidth: inputWidth, outputWidth: outputWidth)
        for t in 0..<steps {
            let value = target(at: t % period + 1)
            for s in 0..<streams { batch.targets[t * streams + s, 0] = value }
        }
        return batch
    }
}
