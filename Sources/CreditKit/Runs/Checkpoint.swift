import Foundation

/// The complete trained state of a run after some epoch: weights, optimizer buffers, the rule's
/// feedback weights and the metrics so far. With the run's configuration it is all `--resume`
/// needs to continue exactly where the run stopped.
///
/// File layout: the 8 bytes `CKPT0001`, a little-endian `UInt32` header length, a JSON header
/// (shapes, counters, history), then every tensor's `Float`s, little-endian, in header order.
public struct Checkpoint: Sendable {
    struct Header: Codable {
        var ruleName: String
        var optimizerStep: Int
        var learningRate: Float
        var layerShapes: [[Int]]
        var optimizerBufferShapes: [[Int]]
        var ruleStateShapes: [[Int]]
        var history: [EpochRecord]
    }

    static let magic = Array("CKPT0001".utf8)

    public var ruleName: String
    public var layers: [DenseLayer]
    public var optimizerStep: Int
    public var learningRate: Float
    /// The optimizer's first moments, then its second moments (see ``Optimizer``).
    public var optimizerBuffers: [Matrix]
    public var ruleState: [Matrix]
    public var history: [EpochRecord]

    public init(network: Network, optimizer: Optimizer, rule: any LearningRule, history: [EpochRecord]) {
        ruleName = rule.name
        layers = network.layers
        optimizerStep = optimizer.step
        learningRate = optimizer.learningRate
        optimizerBuffers = optimizer.firstMoments + optimizer.secondMoments
        ruleState = rule.state
        self.history = history
    }

    private static func shape(_ m: Matrix) -> [Int] { [m.rows, m.columns] }

    public func write(to path: String) throws(TrainingError) {
        let header = Header(
            ruleName: ruleName, optimizerStep: optimizerStep, learningRate: learningRate,
            layerShapes: layers.flatMap { [Self.shape($0.weights), Self.shape($0.biases)] },
            optimizerBufferShapes: optimizerBuffers.map(Self.shape),
            ruleStateShapes: ruleState.map(Self.shape), history: history)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let json = try? encoder.encode(header) else {
            throw .output(file: path, reason: "cannot encode the checkpoint header")
        }
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        let tensors = layers.flatMap { [$0.weights, $0.biases] } + optimizerBuffers + ruleState
        for tensor in tensors {
            tensor.elements.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw .output(file: path, reason: "\(error.localizedDescription)")
        }
    }

    public static func read(from path: String, activations: [Activation]) throws(TrainingError) -> Checkpoint {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw .checkpoint(file: path, reason: "the file cannot be read")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else {
            throw .checkpoint(file: path, reason: "expected a CreditKit checkpoint (magic CKPT0001)")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard bytes.count >= 12 + headerLength else {
            throw .checkpoint(file: path, reason: "truncated header: expected \(headerLength) bytes")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes[12..<(12 + headerLength)]))
        } catch {
            throw .checkpoint(file: path, reason: "unreadable header: \(error)")
        }
        var offset = 12 + headerLength
        func tensor(_ shape: [Int]) throws(TrainingError) -> Matrix {
            guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
                throw .checkpoint(file: path, reason: "bad tensor shape \(shape)")
            }
            let count = shape[0] * shape[1]
            guard offset + 4 * count <= bytes.count else {
                throw .checkpoint(file: path, reason: "truncated: expected \(4 * count) more bytes at offset \(offset), found \(bytes.count - offset)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.withUnsafeBytes { $0 }[offset..<(offset + 4 * count)])) }
            offset += 4 * count
            return Matrix(rows: shape[0], columns: shape[1], elements: values)
        }
        guard header.layerShapes.count == 2 * activations.count else {
            throw .checkpoint(file: path, reason: "holds \(header.layerShapes.count / 2) layers, the configuration has \(activations.count)")
        }
        var layers: [DenseLayer] = []
        for (ℓ, activation) in activations.enumerated() {
            layers.append(DenseLayer(weights: try tensor(header.layerShapes[2 * ℓ]), biases: try tensor(header.layerShapes[2 * ℓ + 1]),
                                     activation: activation))
        }
        var buffers: [Matrix] = []
        for s in header.optimizerBufferShapes { buffers.append(try tensor(s)) }
        var ruleState: [Matrix] = []
        for s in header.ruleStateShapes { ruleState.append(try tensor(s)) }
        guard offset == bytes.count else {
            throw .checkpoint(file: path, reason: "\(bytes.count - offset) unexpected bytes after the last tensor")
        }
        return Checkpoint(ruleName: header.ruleName, layers: layers, optimizerStep: header.optimizerStep,
                          learningRate: header.learningRate, optimizerBuffers: buffers, ruleState: ruleState, history: header.history)
    }

    init(ruleName: String, layers: [DenseLayer], optimizerStep: Int, learningRate: Float, optimizerBuffers: [Matrix],
         ruleState: [Matrix], history: [EpochRecord]) {
        self.ruleName = ruleName
        self.layers = layers
        self.optimizerStep = optimizerStep
        self.learningRate = learningRate
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
        guard ruleState.map(\.count) == rule.state.map(\.count) else {
            throw .checkpoint(file: "checkpoint", reason: "feedback weights do not match rule \(rule.name)")
        }
        network.layers = layers
        optimizer.firstMoments = Array(optimizerBuffers.prefix(optimizer.firstMoments.count))
        optimizer.secondMoments = Array(optimizerBuffers.dropFirst(optimizer.firstMoments.count))
        optimizer.restore(step: optimizerStep)
        optimizer.learningRate = learningRate
        rule.state = ruleState
    }
}
