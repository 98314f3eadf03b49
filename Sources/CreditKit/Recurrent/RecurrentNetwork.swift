import Foundation

/// A tanh RNN with a linear readout, vanilla or with leaky units (leak `α`, time constant 1/α),
/// and a plain or leaky readout (leak `κ`, Bellec et al.'s output filter):
///
///     aₜ = W_in xₜ + W_rec hₜ₋₁ + b,   hₜ = (1 − α) hₜ₋₁ + α tanh(aₜ),   ŷₜ = κŷₜ₋₁ + W_out hₜ + b_out
///
/// with the squared error `½‖ŷₜ − yₜ‖²` or the cross-entropy of `softmax(ŷₜ)` summed over the
/// scored steps; either way the output error is `eₜ = ∂ℓₜ/∂ŷₜ` (`ŷₜ − yₜ`, `softmax(ŷₜ) − yₜ`).
/// Weights are stored like the feed-forward layers' (`(outputs, inputs)`), so the transports
/// are the same products.
public struct RecurrentNetwork: Sendable, Equatable {
    /// `W_in`, `(H, I)`.
    public var inputWeights: Matrix
    /// `W_rec`, `(H, H)`.
    public var recurrentWeights: Matrix
    /// `b`, `(1, H)`.
    public var biases: Matrix
    /// `W_out`, `(O, H)`.
    public var readoutWeights: Matrix
    /// `b_out`, `(1, O)`.
    public var readoutBiases: Matrix
    /// `α`: the share of a unit's state its new input replaces each step (1: vanilla units).
    public var leak: Float = 1
    /// Whether the units are leaky (`α < 1`), so that a state is no longer its own rate.
    public var isLeaky: Bool { leak < 1 }
    /// `κ`: the share of the last output the readout keeps (0: the plain readout).
    public var readoutLeak: Float = 0
    /// The readout's loss: `squaredError` (linear) or `crossEntropy` (softmax).
    public var loss: Loss = .squaredError

    /// `H`, the hidden units.
    public var hiddenSize: Int { recurrentWeights.rows }
    /// `I`, the input channels.
    public var inputSize: Int { inputWeights.columns }
    /// `O`, the outputs.
    public var outputSize: Int { readoutWeights.rows }

    /// Xavier-uniform input weights; recurrent weights `N(0, g²/H)` (spectral radius about `g`);
    /// readout weights Xavier-uniform or, given `readoutScale` a, `U(−a/√H, a/√H)` (Murray's
    /// notebook: a = 0.1, a readout that starts near silent); zero biases.
    public init(inputs: Int, hidden: Int, outputs: Int, gain: Float = 1, readoutScale: Float? = nil, random: inout RandomSource) {
        func xavier(_ rows: Int, _ columns: Int, limit: Float? = nil) -> Matrix {
            let limit = limit ?? (6 / Float(rows + columns)).squareRoot()
            return Matrix(rows: rows, columns: columns) { _, _ in random.uniform(-limit, limit) }
        }
        inputWeights = xavier(hidden, inputs)
        let scale = gain / Float(hidden).squareRoot()
        recurrentWeights = Matrix(rows: hidden, columns: hidden) { _, _ in scale * random.normal() }
        biases = Matrix(rows: 1, columns: hidden)
        readoutWeights = xavier(outputs, hidden, limit: readoutScale.map { $0 / Float(hidden).squareRoot() })
        readoutBiases = Matrix(rows: 1, columns: outputs)
    }

    /// The parameter tensors in the order of the optimizer's slots and the gradients.
    var parameters: [Matrix] { [inputWeights, recurrentWeights, biases, readoutWeights, readoutBiases] }

    /// Runs `window.steps` steps from `window.states[0]`, filling `states[1…k]` (and `noise`-
    /// perturbed activities when `noise` is given: `hₜ ← tanh(aₜ) + c ξₜ`, the ξₜ already drawn),
    /// the outputs, and the output errors `eₜ = ŷₜ − yₜ`. Returns each stream's summed loss into
    /// `losses`.
    func forward(_ window: inout RecurrentWindow, noise: (scale: Float, draws: [Matrix])? = nil,
                 backend: LinearAlgebraBackend) {
        for t in 1...window.steps {
            window.preActivations[t].fillRows(with: biases)
            backend.gemm(window.inputs[t], .none, inputWeights, .transposed, into: &window.preActivations[t], beta: 1)
            backend.gemm(window.states[t - 1], .none, recurrentWeights, .transposed, into: &window.preActivations[t], beta: 1)
            if isLeaky {
                // rₜ = tanh(aₜ), hₜ = (1 − α) hₜ₋₁ + α rₜ.
                Activation.tanh.apply(window.preActivations[t], into: &window.rates[t])
                let (count, α, before, rate) = (window.states[t].count, leak, window.states[t - 1], window.rates[t])
                window.states[t].storage.withUnsafeMutableBufferPointer { h in
                    before.storage.withUnsafeBufferPointer { previous in
                        rate.storage.withUnsafeBufferPointer { r in
                            for i in 0..<count { h[i] = (1 - α) * previous[i] + α * r[i] }
                        }
                    }
                }
            } else {
                Activation.tanh.apply(window.preActivations[t], into: &window.states[t])
            }
            if let noise {
                let count = window.states[t].count
                window.states[t].storage.withUnsafeMutableBufferPointer { h in
                    noise.draws[t].storage.withUnsafeBufferPointer { xi in
                        for i in 0..<count { h[i] += noise.scale * xi[i] }
                    }
                }
            }
            window.outputs[t].fillRows(with: readoutBiases)
            if readoutLeak > 0 {
                let before = window.outputs[t - 1]
                window.outputs[t].add(before, scaledBy: readoutLeak)
            }
            backend.gemm(window.states[t], .none, readoutWeights, .transposed, into: &window.outputs[t], beta: 1)
        }
        for s in 0..<window.streams { window.losses[s] = 0 }
        window.scoredCount = 0
        let (columns, streams, crossEntropy) = (outputSize, window.streams, loss == .crossEntropy)
        for t in 1...window.steps {
            let (output, target) = (window.outputs[t], window.targets[t])
            window.errors[t].storage.withUnsafeMutableBufferPointer { e in
                output.storage.withUnsafeBufferPointer { o in
                    target.storage.withUnsafeBufferPointer { y in
                        for s in 0..<streams {
                            let row = s * columns
                            guard !window.hasScoring || window.isScored[t * streams + s] else {
                                for c in 0..<columns { e[row + c] = 0 }
                                continue
                            }
                            window.scoredCount += 1
                            window.losses[s] += crossEntropy
                                ? Self.softmaxCrossEntropy(o, y, into: e, row: row, columns: columns)
                                : Self.squaredError(o, y, into: e, row: row, columns: columns)
                        }
                    }
                }
            }
        }
    }

    /// `½‖ŷ − y‖²` of one row, its gradient `ŷ − y` into `e`.
    private static func squaredError(_ o: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>, into e: UnsafeMutableBufferPointer<Float>,
                                     row: Int, columns: Int) -> Float {
        var loss: Float = 0
        for c in row..<(row + columns) {
            let d = o[c] - y[c]
            e[c] = d
            loss += 0.5 * d * d
        }
        return loss
    }

    /// `−Σ y log softmax(ŷ)` of one row, its gradient `softmax(ŷ) − y` into `e`.
    private static func softmaxCrossEntropy(_ o: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>,
                                            into e: UnsafeMutableBufferPointer<Float>, row: Int, columns: Int) -> Float {
        var maximum = -Float.infinity
        for c in row..<(row + columns) { maximum = max(maximum, o[c]) }
        var sum: Float = 0
        for c in row..<(row + columns) {
            e[c] = exp(o[c] - maximum)
            sum += e[c]
        }
        let logSum = log(sum)
        var loss: Float = 0
        for c in row..<(row + columns) {
            if y[c] != 0 { loss -= y[c] * (o[c] - maximum - logSum) }
            e[c] = e[c] / sum - y[c]
        }
        return loss
    }
}

/// Every buffer of one truncated-BPTT window of `steps` steps over `streams` parallel streams.
/// Arrays are indexed by step `t = 1 … k`; `states[0]` is the state carried in.
public struct RecurrentWindow: Sendable {
    /// Parallel streams (the batch).
    public let streams: Int
    /// `k`, the steps of the window.
    public let steps: Int
    /// `xₜ` for `t = 1 … k`.
    public var inputs: [Matrix]
    /// `yₜ`.
    public var targets: [Matrix]
    /// `aₜ = W_in xₜ + W_rec hₜ₋₁ + b`.
    public var preActivations: [Matrix]
    /// `hₜ`; `states[0]` is the state carried in.
    public var states: [Matrix]
    /// `rₜ = tanh(aₜ)` of leaky units (vanilla units' rate is their state, and this stays unused).
    public var rates: [Matrix]
    /// `ŷₜ = κŷₜ₋₁ + W_out hₜ + b_out`; `outputs[0]` is the leaky readout's output carried in.
    public var outputs: [Matrix]
    /// `eₜ = ∂ℓₜ/∂ŷₜ`, the output error (zero at steps that are not scored).
    public var errors: [Matrix]
    /// `Ēₜ = eₜ + κĒₜ₊₁`: what reaches `hₜ` through a leaky readout (written by BPTT's credit;
    /// unused with the plain readout, where it is `eₜ`).
    public var filteredErrors: [Matrix]
    /// δaₜ, the credit of the pre-activations (written by the rule); index 0 unused.
    public var credits: [Matrix]
    /// δhₜ before the derivative: what the feedback transports (and NP regresses).
    public var transported: [Matrix]
    /// Each stream's loss summed over the window.
    public var losses: [Float]
    /// Whether step `t` of stream `s` enters the loss, at `t·streams + s` (when `hasScoring`).
    public var isScored: [Bool]
    /// Whether the loaded streams score only some steps (the evidence task's recall cue).
    public var hasScoring = false
    /// The scored (stream, step) pairs of the last forward pass: the terms of its loss.
    public var scoredCount = 0

    /// The buffers of a window, all zero.
    public init(streams: Int, steps: Int, inputs: Int, hidden: Int, outputs: Int) {
        self.streams = streams
        self.steps = steps
        func blocks(_ columns: Int) -> [Matrix] { (0...steps).map { _ in Matrix(rows: streams, columns: columns) } }
        self.inputs = blocks(inputs)
        targets = blocks(outputs)
        preActivations = blocks(hidden)
        states = blocks(hidden)
        rates = blocks(hidden)
        self.outputs = blocks(outputs)
        errors = blocks(outputs)
        filteredErrors = blocks(outputs)
        credits = blocks(hidden)
        transported = blocks(hidden)
        losses = Array(repeating: 0, count: streams)
        isScored = Array(repeating: true, count: (steps + 1) * streams)
    }

    /// `rₜ = tanh(aₜ)`, whose derivative `1 − rₜ²` every credit and trace uses.
    func rate(_ t: Int, leaky: Bool) -> Matrix { leaky ? rates[t] : states[t] }

    /// `Ēₜ` where a leaky readout filters the errors, else `eₜ`.
    func readoutError(_ t: Int, filtered: Bool) -> Matrix { filtered ? filteredErrors[t] : errors[t] }

    /// Copies steps `start ..< start + steps` of `batch` into the window.
    mutating func load(_ batch: SequenceBatch, from start: Int) {
        hasScoring = batch.isScored != nil
        for t in 1...steps {
            let row = (start + t - 1) * streams
            for s in 0..<streams {
                for c in 0..<inputs[t].columns { inputs[t][s, c] = batch.inputs[row + s, c] }
                for c in 0..<targets[t].columns { targets[t][s, c] = batch.targets[row + s, c] }
                if let scored = batch.isScored { isScored[t * streams + s] = scored[row + s] }
            }
        }
    }

    /// Hands the last step's state (and leaky readout) on as the next window's start.
    mutating func carryOver() {
        states[0].copyElements(from: states[steps])
        outputs[0].copyElements(from: outputs[steps])
    }

    /// Starts every stream afresh: each unit at `initialState`, the leaky readout at zero.
    mutating func restart(initialState: Float) {
        states[0].fill(initialState)
        outputs[0].fill(0)
    }
}
