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
    }

    static let magic = "CKRNN001"

    /// The rule as `--rule` names it (`bp`, `fa`, `np`).
    public var rule: String
    public var optimizer: OptimizerKind
    public var optimizerStep: Int
    /// `RecurrentNetwork.parameters`, then `B_out` and `B_rec`, then the optimizer's first and
    /// second moments.
    public var tensors: [Matrix]
    public var history: [RecurrentEpochRecord]

    public func write(to path: String) throws(TrainingError) {
        let header = Header(rule: rule, optimizer: optimizer, optimizerStep: optimizerStep,
                            shapes: tensors.map(TensorArchive.shape), history: history)
        try TensorArchive.write(header, tensors: tensors, magic: Self.magic, to: path)
    }

    public static func read(from path: String) throws(TrainingError) -> RecurrentCheckpoint {
        let (header, tensors) = try TensorArchive.read(Header.self, from: path, magic: magic) { $0.shapes }
        return RecurrentCheckpoint(rule: header.rule, optimizer: header.optimizer, optimizerStep: header.optimizerStep,
                                   tensors: tensors, history: header.history)
    }
}
