/// A rate version of the cue-accumulation task of Bellec et al. (2020, e-prop; after Morcos &
/// Harvey 2016): a trial shows `cues` cues one after another, each on the left or the right
/// channel, then a delay, then a recall cue during which the network must answer the side that
/// had more cues. Each trial first draws which side is favoured (probability ½), then each cue
/// falls on that side with probability 0.7.
///
/// Four input channels, as the four groups of the spiking task: left cue, right cue, recall cue
/// (each 1 while on, else 0) and a constant background (Bellec's background group fires at a
/// quarter of the cue rate). A softmax readout over left and right is scored by cross-entropy
/// during the recall cue only; the answer judged is the one at its last step.
/// **[reconstructed]**: the spiking task's timing (cues of 100 ms every 150 ms, 2250 ms trials) is
/// scaled to steps: cues of 2 steps every 3, a delay of 20 steps, a recall of 3.
public struct EvidenceAccumulation: SequenceTask {
    /// Cues per trial (odd, so that there is always a majority).
    public var cues: Int
    /// Steps each cue lasts.
    public var cueLength: Int
    /// Silent steps after each cue.
    public var cueGap: Int
    /// Steps between the last cue and the recall cue.
    public var delay: Int
    /// Steps of the recall cue, when the answer is scored.
    public var recall: Int
    /// The probability that a cue falls on the trial's favoured side.
    public var favouredProbability: Float
    /// The background channel's constant value.
    public var background: Float

    /// The default trial: 7 cues (2 steps on, 1 off), a delay of 20, a recall of 3: 44 steps.
    public init(cues: Int = 7, cueLength: Int = 2, cueGap: Int = 1, delay: Int = 20, recall: Int = 3,
                favouredProbability: Float = 0.7, background: Float = 0.25) {
        self.cues = cues
        self.cueLength = cueLength
        self.cueGap = cueGap
        self.delay = delay
        self.recall = recall
        self.favouredProbability = favouredProbability
        self.background = background
    }

    /// Left, right, recall, background.
    public var inputWidth: Int { 4 }
    /// Left and right.
    public var outputWidth: Int { 2 }
    public var loss: Loss { .crossEntropy }
    public var scoring: SequenceScoring { .argmax }
    public var trialLength: Int? { cues * (cueLength + cueGap) + delay + recall }
    public var description: String { "evidence accumulation, \(cues) cues, delay \(delay)" }

    public func validate() throws(ConfigurationError) {
        guard cues >= 1, cues % 2 == 1 else { throw .invalid(field: "task.cues", value: "\(cues)", expected: "an odd number of cues (a majority)") }
        guard cueLength >= 1 else { throw .invalid(field: "task.cueLength", value: "\(cueLength)", expected: "cues of at least 1 step") }
        guard cueGap >= 0 else { throw .invalid(field: "task.cueGap", value: "\(cueGap)", expected: "a gap of 0 or more steps") }
        guard delay >= 0 else { throw .invalid(field: "task.delay", value: "\(delay)", expected: "a delay of 0 or more steps") }
        guard recall >= 1 else { throw .invalid(field: "task.recall", value: "\(recall)", expected: "a recall cue of at least 1 step") }
        guard favouredProbability >= 0.5, favouredProbability <= 1 else {
            throw .invalid(field: "task.favouredProbability", value: "\(favouredProbability)", expected: "a probability in [0.5, 1]")
        }
    }

    public func generate(streams: Int, steps: Int, random: inout RandomSource) -> SequenceBatch {
        let length = trialLength!, spacing = cueLength + cueGap, recallStart = cues * spacing + delay
        var batch = SequenceBatch(streams: streams, steps: steps, inputWidth: 4, outputWidth: 2)
        var scored = Array(repeating: false, count: streams * steps)
        for s in 0..<streams {
            for start in stride(from: 0, to: steps - length + 1, by: length) {
                let favoursRight = random.next() & 1 == 1
                var right = 0
                for cue in 0..<cues {
                    let onFavoured = random.uniform(0, 1) < favouredProbability
                    let channel = onFavoured == favoursRight ? 1 : 0
                    right += channel
                    for t in 0..<cueLength { batch.inputs[(start + cue * spacing + t) * streams + s, channel] = 1 }
                }
                let answer = 2 * right > cues ? 1 : 0
                for t in 0..<length { batch.inputs[(start + t) * streams + s, 3] = background }
                for t in recallStart..<length {
                    let row = (start + t) * streams + s
                    batch.inputs[row, 2] = 1
                    batch.targets[row, answer] = 1
                    scored[row] = true
                }
                batch.isTarget[(start + length - 1) * streams + s] = true
            }
        }
        batch.isScored = scored
        return batch
    }
}
