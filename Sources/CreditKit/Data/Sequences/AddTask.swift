import Foundation

/// The "add task" of Pitis (2016), used by Marschall et al. (2020) to grade online learning rules:
/// a stream of random bits `xₜ ~ Bernoulli(½)` and a random answer whose probability depends on
/// two past inputs,
///
///     P(yₜ = 1) = 0.5 + 0.5 xₜ₋ₜ₁ − 0.25 xₜ₋ₜ₂    (t₁ = 3, t₂ = 8),
///
/// read out by a softmax over the two classes. The cross-entropy a network can reach is a ladder
/// (``crossEntropyLadder``): about 0.66 knowing no past input, 0.52 remembering `xₜ₋ₜ₁`, 0.45
/// remembering both. Before a stream's `t₂`-th step the missing inputs count as 0.
public struct AddTask: SequenceTask {
    /// `t₁`, the steps back of the strong dependency.
    public var firstLag: Int
    /// `t₂`, the steps back of the weak one.
    public var secondLag: Int

    /// Pitis's task: dependencies 3 and 8 steps back.
    public init(firstLag: Int = 3, secondLag: Int = 8) {
        self.firstLag = firstLag
        self.secondLag = secondLag
    }

    /// One channel: the bit.
    public var inputWidth: Int { 1 }
    /// Two classes, `yₜ = 0` and `yₜ = 1`.
    public var outputWidth: Int { 2 }
    public var loss: Loss { .crossEntropy }
    /// Every step's answer is judged against the drawn `yₜ` (so even the best predictor errs).
    public var scoring: SequenceScoring { .argmax }
    public var description: String { "add task, lags \(firstLag) and \(secondLag)" }

    /// The cross-entropy (nats per step) of the best predictor that knows no past input, only
    /// `xₜ₋ₜ₁`, and both: the entropies of the answer under each state of knowledge.
    public static var crossEntropyLadder: (noMemory: Double, firstDependency: Double, both: Double) {
        func entropy(_ p: Double) -> Double { p <= 0 || p >= 1 ? 0 : -(p * log(p) + (1 - p) * log(1 - p)) }
        let noMemory = entropy(0.625)
        let first = (entropy(0.375) + entropy(0.875)) / 2
        let both = (entropy(0.5) + entropy(0.25) + entropy(1) + entropy(0.75)) / 4
        return (noMemory, first, both)
    }

    public func validate() throws(ConfigurationError) {
        guard firstLag >= 1 else { throw .invalid(field: "task.firstLag", value: "\(firstLag)", expected: "a lag of at least 1 step") }
        guard secondLag >= 1, secondLag != firstLag else {
            throw .invalid(field: "task.secondLag", value: "\(secondLag)", expected: "a lag of at least 1 step, other than the first lag")
        }
    }

    public func generate(streams: Int, steps: Int, random: inout RandomSource) -> SequenceBatch {
        var batch = SequenceBatch(streams: streams, steps: steps, inputWidth: 1, outputWidth: 2)
        for t in 0..<steps {
            for s in 0..<streams {
                batch.inputs[t * streams + s, 0] = random.next() & 1 == 0 ? 0 : 1
            }
        }
        for t in 0..<steps {
            for s in 0..<streams {
                let first: Float = t >= firstLag ? batch.inputs[(t - firstLag) * streams + s, 0] : 0
                let second: Float = t >= secondLag ? batch.inputs[(t - secondLag) * streams + s, 0] : 0
                let p = 0.5 + 0.5 * first - 0.25 * second
                let y = random.uniform(0, 1) < p ? 1 : 0
                batch.targets[t * streams + s, y] = 1
                batch.isTarget[t * streams + s] = true
            }
        }
        return batch
    }
}
