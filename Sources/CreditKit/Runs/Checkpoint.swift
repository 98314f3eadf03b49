import Foundation

/// The complete trained state of a run after some epoch, every tensor by name: the model's
/// parameters, the optimizer's buffers, the rule's state (feedback weights) and the metrics so
/// far. With the run's configuration it is all `--resume` needs to continue exactly where the run
/// stopped; ``Trainer/restore(_:file:)`` checks every name and shape before installing it.
///
/// File layout: a `TensorArchive` with magic `CKPT0002` (the header holds names, shapes,
/// counters and history; the tensors follow in the order parameters, optimizer buffers, rule state).
public struct Checkpoint: Sendable {
    struct Header: Codable {
        var ruleName: String
        var optimizer: OptimizerKind
        var optimizerStep: Int
        var parameterNames: [String]
        var parameterShapes: [[Int]]
        var optimizerBufferShapes: [[Int]]
        var ruleStateNames: [String]
        var ruleStateShapes: [[Int]]
        var history: [EpochRecord]
        /// Absent in checkpoints written before momentum kept its velocity decayed (`μ·v`).
        var momentumBuffersDecayed: Bool?
    }

    static let magic = "CKPT0002"

    /// The rule that wrote it.
    public var ruleName: String
    /// The optimizer that wrote it.
    public var optimizer: OptimizerKind
    /// The optimizer's step count (Adam's bias correction).
    public var optimizerStep: Int
    /// The model's parameters (``TrainingModel/parameters``).
    public var parameters: [NamedTensor]
    /// The optimizer's first moments, then its second moments (see ``Optimizer``).
    public var optimizerBuffers: [Matrix]
    /// Whether momentum's buffers hold the decayed velocity `μ·v`, as ``Optimizer/firstMoments``
    /// does; `false` for checkpoints written before, which hold `v` (``Trainer/restore(_:file:)``
    /// converts them).
    public var momentumBuffersDecayed: Bool = true
    /// The rule's state (``TrainingModel/ruleState``).
    public var ruleState: [NamedTensor]
    /// Every finished epoch.
    public var history: [EpochRecord]

    /// A checkpoint of the given state.
    public init(ruleName: String, optimizer: OptimizerKind, optimizerStep: Int, parameters: [NamedTensor], optimizerBuffers: [Matrix],
                ruleState: [NamedTensor], history: [EpochRecord]) {
        self.ruleName = ruleName
        self.optimizer = optimizer
        self.optimizerStep = optimizerStep
        self.parameters = parameters
        self.optimizerBuffers = optimizerBuffers
        self.ruleState = ruleState
        self.history = history
    }

    /// Writes the checkpoint to `path` atomically.
    public func write(to path: String) throws(TrainingError) {
        let header = Header(
            ruleName: ruleName, optimizer: optimizer, optimizerStep: optimizerStep,
            parameterNames: parameters.map(\.name), parameterShapes: parameters.map { TensorArchive.shape($0.value) },
            optimizerBufferShapes: optimizerBuffers.map(TensorArchive.shape),
            ruleStateNames: ruleState.map(\.name), ruleStateShapes: ruleState.map { TensorArchive.shape($0.value) }, history: history,
            momentumBuffersDecayed: momentumBuffersDecayed)
        let tensors = parameters.map(\.value) + optimizerBuffers + ruleState.map(\.value)
        try TensorArchive.write(header, tensors: tensors, magic: Self.magic, to: path)
    }

    /// Reads a checkpoint written by ``write(to:)``; a malformed file is an error naming `path`.
    public static func read(from path: String) throws(TrainingError) -> Checkpoint {
        let (header, tensors) = try TensorArchive.read(Header.self, from: path, magic: magic) {
            $0.parameterShapes + $0.optimizerBufferShapes + $0.ruleStateShapes
        }
        guard header.parameterNames.count == header.parameterShapes.count, header.ruleStateNames.count == header.ruleStateShapes.count else {
            throw .checkpoint(file: path, reason: "names \(header.parameterNames.count) parameters and \(header.ruleStateNames.count) "
                              + "rule tensors but holds \(header.parameterShapes.count) and \(header.ruleStateShapes.count)")
        }
        let parameterCount = header.parameterShapes.count, bufferCount = header.optimizerBufferShapes.count
        var checkpoint = Checkpoint(
            ruleName: header.ruleName, optimizer: header.optimizer, optimizerStep: header.optimizerStep,
            parameters: zip(header.parameterNames, tensors.prefix(parameterCount)).map { NamedTensor($0, $1) },
            optimizerBuffers: Array(tensors[parameterCount..<(parameterCount + bufferCount)]),
            ruleState: zip(header.ruleStateNames, tensors.suffix(header.ruleStateShapes.count)).map { NamedTensor($0, $1) },
            history: header.history)
        checkpoint.momentumBuffersDecayed = header.momentumBuffersDecayed ?? false
        return checkpoint
    }
}
