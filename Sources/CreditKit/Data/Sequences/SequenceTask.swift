/// A task for the recurrent network: a generator of input and target streams from the seed, and
/// what its outputs mean (the readout's loss, how answers are judged, whether the streams are
/// cut into trials that start from a fresh state).
public protocol SequenceTask: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Input channels per step.
    var inputWidth: Int { get }
    /// Readout units: one per regressed value, one per class under cross-entropy.
    var outputWidth: Int { get }
    /// `squaredError` (a linear readout) or `crossEntropy` (a softmax readout).
    var loss: Loss { get }
    /// How an answer is judged right or wrong.
    var scoring: SequenceScoring { get }
    /// Steps of one trial: the streams are cut into trials of this length, aligned across
    /// streams, each started from ``initialState``; `nil`: one continuous stream.
    var trialLength: Int? { get }
    /// Every unit's state when a trial (or an epoch's streams) begins.
    var initialState: Float { get }
    /// Checks every value. Errors name the field (`task.delay`).
    func validate() throws(ConfigurationError)
    /// `streams` independent streams of `steps` steps (a multiple of ``trialLength``), stored
    /// step-major: row `t·streams + s` is stream `s` at step `t`.
    func generate(streams: Int, steps: Int, random: inout RandomSource) -> SequenceBatch
}

extension SequenceTask {
    public var trialLength: Int? { nil }
    public var initialState: Float { 0 }
}

/// How a recurrent task's answers are judged.
public enum SequenceScoring: Sendable, Equatable {
    /// The sign of output 0 at the steps marked `isTarget` (delayed XOR's ±1 answers).
    case sign
    /// The largest output at the steps marked `isTarget` against the target's one-hot class.
    case argmax
    /// A regression: the error is the normalized mean squared error, `MSE / targetVariance`
    /// (the share of the target's variance left unexplained).
    case normalizedError(targetVariance: Double)
}

/// The task of a recurrent run: one of the suite's generators. Encoded as the task's own fields
/// and a `kind`; a configuration without `kind` is delayed XOR (what every run before the suite
/// recorded).
public enum RecurrentTask: Sendable, Equatable, Codable, CustomStringConvertible {
    case delayedXOR(DelayedXOR)
    case periodic(PeriodicOutput)
    case add(AddTask)
    case evidence(EvidenceAccumulation)

    /// The names `--task` takes, in the order of the help.
    public static let names = ["xor", "periodic", "add", "evidence"]

    /// The task's name: `xor`, `periodic`, `add` or `evidence`.
    public var name: String {
        switch self {
        case .delayedXOR: "xor"
        case .periodic: "periodic"
        case .add: "add"
        case .evidence: "evidence"
        }
    }

    /// The task with its default settings, by ``name``.
    public init?(name: String) {
        switch name.lowercased() {
        case "xor", "delayed-xor": self = .delayedXOR(DelayedXOR())
        case "periodic": self = .periodic(PeriodicOutput())
        case "add": self = .add(AddTask())
        case "evidence": self = .evidence(EvidenceAccumulation())
        default: return nil
        }
    }

    /// The generator itself.
    public var task: any SequenceTask {
        switch self {
        case .delayedXOR(let task): task
        case .periodic(let task): task
        case .add(let task): task
        case .evidence(let task): task
        }
    }

    public var description: String { task.description }

    private enum CodingKeys: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .kind) ?? "xor"
        switch kind {
        case "xor": self = .delayedXOR(try DelayedXOR(from: decoder))
        case "periodic": self = .periodic(try PeriodicOutput(from: decoder))
        case "add": self = .add(try AddTask(from: decoder))
        case "evidence": self = .evidence(try EvidenceAccumulation(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: try decoder.container(keyedBy: CodingKeys.self),
                                                   debugDescription: "unknown task \(kind); expected one of \(Self.names.joined(separator: ", "))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try task.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .kind)
    }
}

/// Parallel input and target streams, step-major (the rows of step `t` are one contiguous block).
public struct SequenceBatch: Sendable {
    /// Parallel streams.
    public let streams: Int
    /// Steps of every stream.
    public let steps: Int
    /// The inputs, row `t·streams + s` for stream `s` at step `t`.
    public var inputs: Matrix
    /// The targets, in the inputs' order.
    public var targets: Matrix
    /// The steps whose answer is judged (XOR answers, the evidence task's last recall step).
    public var isTarget: [Bool]
    /// The steps whose target enters the loss; `nil`: every step (silence is a target too).
    public var isScored: [Bool]?

    /// The first `steps` steps of every stream.
    public func prefix(steps: Int) -> SequenceBatch {
        precondition(steps <= self.steps)
        var head = SequenceBatch(streams: streams, steps: steps, inputWidth: inputs.columns, outputWidth: targets.columns)
        let rows = steps * streams
        for r in 0..<rows {
            for c in 0..<inputs.columns { head.inputs[r, c] = inputs[r, c] }
            for c in 0..<targets.columns { head.targets[r, c] = targets[r, c] }
        }
        head.isTarget = Array(isTarget[0..<rows])
        head.isScored = isScored.map { Array($0[0..<rows]) }
        return head
    }

    /// An all-zero batch of the given size, every step scored.
    public init(streams: Int, steps: Int, inputWidth: Int, outputWidth: Int) {
        self.streams = streams
        self.steps = steps
        inputs = Matrix(rows: streams * steps, columns: inputWidth)
        targets = Matrix(rows: streams * steps, columns: outputWidth)
        isTarget = Array(repeating: false, count: streams * steps)
    }
}
