import Foundation

/// The complete trained state of a run after some epoch: weights, optimizer buffers, the rule's
/// feedback weights and the metrics so far. With the run's configuration it is all `--resume`
/// needs to continue exactly where the run stopped.
///
/// File layout: a `TensorArchive` with magic `CKPT0001` (the header holds shapes, counters and
/// history).
public struct Checkpoint: Sendable {
    struct Header: Codable {
        var ruleName: String
        var optimizerStep: Int
        var layerShapes: [[Int]]
        var optimizerBufferShapes: [[Int]]
        var ruleStateNames: [String]
        var ruleStateShapes: [[Int]]
        var history: [EpochRecord]
    }

    static let magic = "CKPT0001"

    public var ruleName: String
    public var layers: [DenseLayer]
    public var optimizerStep: Int
    /// The optimizer's first moments, then its second moments (see ``Optimizer``).
    public var optimizerBuffers: [Matrix]
    public var ruleState: [NamedTensor]
    public var history: [EpochRecord]

    public init(network: Network, optimizer: Optimizer, rule: any LearningRule, history: [EpochRecord]) {
        ruleName = rule.name
        layers = network.layers
        optimizerStep = optimizer.step
        optimizerBuffers = optimizer.firstMoments + optimizer.secondMoments
        ruleState = rule.state
        self.history = history
    }

    public func write(to path: String) throws(TrainingError) {
        let header = Header(
            ruleName: ruleName, optimizerStep: optimizerStep,
            layerShapes: layers.flatMap { [TensorArchive.shape($0.weights), TensorArchive.shape($0.biases)] },
            optimizerBufferShapes: optimizerBuffers.map(TensorArchive.shape),
            ruleStateNames: ruleState.map(\.name), ruleStateShapes: ruleState.map { TensorArchive.shape($0.value) }, history: history)
        let tensors = layers.flatMap { [$0.weights, $0.biases] } + optimizerBuffers + ruleState.map(\.value)
        try TensorArchive.write(header, tensors: tensors, magic: Self.magic, to: path)
    }

    public static func read(from path: String, activations: [Activation]) throws(TrainingError) -> Checkpoint {
        let (header, tensors) = try TensorArchive.read(Header.self, from: path, magic: magic) {
            $0.layerShapes + $0.optimizerBufferShapes + $0.ruleStateShapes
        }
        guard header.layerShapes.count == 2 * activations.count else {
            throw .checkpoint(file: path, reason: "holds \(header.layerShapes.count / 2) layers, the configuration has \(activations.count)")
        }
        let layers = activations.enumerated().map { ℓ, activation in
            DenseLayer(weights: tensors[2 * ℓ], biases: tensors[2 * ℓ + 1], activation: activation)
        }
        let buffers = Array(tensors[header.layerShapes.count..<(header.layerShapes.count + header.optimizerBufferShapes.count)])
        guard header.ruleStateNames.count == header.ruleStateShapes.count else {
            throw .checkpoint(file: path, reason: "names \(header.ruleStateNames.count) rule tensors but holds \(header.ruleStateShapes.count)")
        }
        let ruleState = zip(header.ruleStateNames, tensors.suffix(header.ruleStateShapes.count)).map { NamedTensor($0, $1) }
        return Checkpoint(ruleName: header.ruleName, layers: layers, optimizerStep: header.optimizerStep,
                          optimizerBuffers: buffers, ruleState: ruleState, history: header.history)
    }

    init(ruleName: String, layers: [DenseLayer], optimizerStep: Int, optimizerBuffers: [Matrix],
         ruleState: [NamedTensor], history: [EpochRecord]) {
        self.ruleName = ruleName
        self.layers = layers
        self.optimizerStep = optimizerStep
        self.optimizerBuffers = optimizerBuffers
        self.ruleState = ruleState
        self.history = history
    }

    /// Installs this state, after checking that it fits the network, optimizer and rule.
    func apply(to network: inout Network, optimizer: inout Optimizer, rule: inout any LearningRule) throws(TrainingError) {
        guard ruleName == rule.name else {
            throw .checkpoint(file: "checkpoint", reason: "was written by rule \(ruleName), the configuration uses \(rule.name)")
        }
        for (ℓ, layer) in layers.enumerated() {
            let expected = network.layers[ℓ]
            guard layer.weights.rows == expected.weights.rows, layer.weights.columns == expected.weights.columns,
                  layer.biases.count == expected.biases.count else {
                throw .checkpoint(file: "checkpoint", reason: "layer \(ℓ + 1) is \(layer.weights.rows)×\(layer.weights.columns), "
                                  + "the configuration asks for \(expected.weights.rows)×\(expected.weights.columns)")
            }
        }
        let expected = optimizer.firstMoments + optimizer.secondMoments
        guard optimizerBuffers.map(\.count) == expected.map(\.count) else {
            throw .checkpoint(file: "checkpoint", reason: "optimizer state does not match --optimizer \(optimizer.settings.kind.rawValue)")
        }
        let expectedState = rule.state
        guard ruleState.map(\.name) == expectedState.map(\.name),
              ruleState.map({ TensorArchive.shape($0.value) }) == expectedState.map({ TensorArchive.shape($0.value) }) else {
            let held = ruleState.map { "\($0.name) \($0.value.rows)×\($0.value.columns)" }.joined(separator: ", ")
            let wanted = expectedState.map { "\($0.name) \($0.value.rows)×\($0.value.columns)" }.joined(separator: ", ")
            throw .checkpoint(file: "checkpoint", reason: "holds rule state [\(held)], rule \(rule.name) has [\(wanted)]")
        }
        // Weights and biases only: the units' kinds (a mixed rectifier's negative units) belong
        // to the configuration's network, and a checkpoint read from disk does not carry them.
        for ℓ in layers.indices {
            network.layers[ℓ].weights = layers[ℓ].weights
            network.layers[ℓ].biases = layers[ℓ].biases
        }
        optimizer.firstMoments = Array(optimizerBuffers.prefix(optimizer.firstMoments.count))
        optimizer.secondMoments = Array(optimizerBuffers.dropFirst(optimizer.firstMoments.count))
        optimizer.restore(step: optimizerStep)
        rule.state = ruleState
    }
}
