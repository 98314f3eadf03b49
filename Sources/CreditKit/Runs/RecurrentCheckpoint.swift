/// The trained state of a recurrent run after some epoch: the network, the feedback matrices,
/// the optimizer's buffers and the metrics so far. Every epoch starts its streams from a zero
/// state and draws its data and noise from the seed and the epoch number, so with the run's
/// configuration this is all `--resume` needs to continue bit-identically.
///
/// File layout: a `TensorArchive` with magic `CKRNN001`; tensors in the order of
/// `RecurrentNetwork.parameters`, then `B_out`, `B_rec`, then the optimizer's buffers.
public struct RecurrentCheckpoint: Sendable {
    struct Header: Codable {
        var rule: String
        var optimizer: OptimizerKind
        var optimizerStep: Int
        var shapes: [[Int]]
        var history: [RecurrentEpochRecord]
        /// The names of the rule's own state tensors, which follow the optimizer's buffers.
        var ruleStateNames: [String]?
    }

    static let magic = "CKRNN001"

    /// The rule as `--rule` names it (`bp`, `fa`, `np`).
    public var rule: String
    public var optimizer: OptimizerKind
    public var optimizerStep: Int
    /// `RecurrentNetwork.parameters`, then `B_out` and `B_rec`, then the optimizer's first and
    /// second moments.
    public var tensors: [Matrix]
    /// What a path rule keeps besides the feedback (Kolen–Pollack's last weights), by name.
    public var ruleState: [NamedTensor] = []
    public var history: [RecurrentEpochRecord]

    public func write(to path: String) throws(TrainingError) {
        let header = Header(rule: rule, optimizer: optimizer, optimizerStep: optimizerStep,
                            shapes: (tensors + ruleState.map(\.value)).map(TensorArchive.shape), history: history,
                            ruleStateNames: ruleState.map(\.name))
        try TensorArchive.write(header, tensors: tensors + ruleState.map(\.value), magic: Self.magic, to: path)
    }

    public static func read(from path: String) throws(TrainingError) -> RecurrentCheckpoint {
        let (header, tensors) = try TensorArchive.read(Header.self, from: path, magic: magic) { $0.shapes }
        let names = header.ruleStateNames ?? []
        let ruleState = zip(names, tensors.suffix(names.count)).map { NamedTensor($0, $1) }
        return RecurrentCheckpoint(rule: header.rule, optimizer: header.optimizer, optimizerStep: header.optimizerStep,
                                   tensors: Array(tensors.dropLast(names.count)), ruleState: ruleState, history: header.history)
    }
}
