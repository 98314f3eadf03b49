/// The delayed-XOR task of the learned-feedback paper (Lansdell et al. 2020, §4.3): a
/// continuous input stream in which, at random times, a go cue arrives carrying two random bits;
/// a fixed number of steps later the network must output their XOR.
///
/// Each step's input has three channels: the cue (1 at a cue, else 0) and the two bits (±1 at a
/// cue, else 0). The target is 0 except `delay` steps after a cue, where it is +1 if the bits
/// differ and −1 if they agree. Gaps between cues are drawn uniformly from `gaps`, never shorter
/// than the delay, so trials never overlap. **[reconstructed]**: the paper's delay and input
/// coding are lost from the text; the authors' code used ±1 bits and a ±1 XOR target.
public struct DelayedXOR: SequenceTask {
    /// Steps from a go cue to the step that must answer its XOR.
    public var delay: Int
    /// The range the gaps between cues are drawn from.
    public var gaps: ClosedRange<Int>

    /// Input channels: the cue and the two bits.
    public static let inputWidth = 3
    public var inputWidth: Int { Self.inputWidth }
    public var outputWidth: Int { 1 }
    public var loss: Loss { .squaredError }
    public var scoring: SequenceScoring { .sign }
    public var description: String { "delayed XOR, delay \(delay)" }

    /// The task with `delay`; the gaps default to `delay + 2 … delay + 8`.
    public init(delay: Int = 3, gaps: ClosedRange<Int>? = nil) {
        self.delay = delay
        self.gaps = gaps ?? (delay + 2)...(delay + 8)
    }

    /// Checks the delay and the gaps. Errors name the field (`task.delay`).
    public func validate() throws(ConfigurationError) {
        guard delay >= 1 else { throw .invalid(field: "task.delay", value: "\(delay)", expected: "a delay of at least 1 step") }
        guard gaps.lowerBound > delay else {
            throw .invalid(field: "task.delay", value: "\(delay)", expected: "gaps between cues longer than the delay")
        }
    }

    /// `streams` independent streams of `steps` steps, stored step-major: row `t·streams + s`
    /// is stream `s` at step `t`.
    public func generate(streams: Int, steps: Int, random: inout RandomSource) -> SequenceBatch {
        var batch = SequenceBatch(streams: streams, steps: steps, inputWidth: Self.inputWidth, outputWidth: 1)
        let span = UInt64(gaps.count)
        for s in 0..<streams {
            var t = Int(random.next() % span)  // a random phase, so streams do not start in step
            while t < steps {
                let a: Float = random.next() & 1 == 0 ? -1 : 1
                let b: Float = random.next() & 1 == 0 ? -1 : 1
                let row = t * streams + s
                batch.inputs[row, 0] = 1
                batch.inputs[row, 1] = a
                batch.inputs[row, 2] = b
                if t + delay < steps {
                    batch.targets[(t + delay) * streams + s, 0] = a == b ? -1 : 1
                    batch.isTarget[(t + delay) * streams + s] = true
                }
                t += gaps.lowerBound + Int(random.next() % span)
            }
        }
        return batch
    }
}
