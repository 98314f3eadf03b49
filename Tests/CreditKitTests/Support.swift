import Foundation
import Testing
@testable import CreditKit

/// The folder of committed test files (valid, truncated and corrupt).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// `‖a − b‖ / max(‖a‖, ‖b‖, floor)`: the relative error of two vectors.
func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
    precondition(a.count == b.count)
    let difference = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    let scale = max(a.reduce(0) { $0 + $1 * $1 }.squareRoot(), b.reduce(0) { $0 + $1 * $1 }.squareRoot(), floor)
    return difference / scale
}

func randomMatrix(_ rows: Int, _ columns: Int, _ random: inout RandomSource, scale: Float = 1) -> Matrix {
    Matrix(rows: rows, columns: columns) { _, _ in random.uniform(-scale, scale) }
}

/// An independent, plain Double implementation of a dense network's forward pass and loss, used
/// as the reference for gradients (no SIMD, no BLAS, no shared code with the library's kernels).
struct ReferenceNetwork {
    var weights: [[[Double]]]   // [layer][output][input]
    var biases: [[Double]]
    var activations: [Activation]
    var positiveUnits: [Int]
    var loss: Loss

    init(_ network: Network, loss: Loss) {
        weights = network.layers.map { layer in
            (0..<layer.outputs).map { o in (0..<layer.inputs).map { i in Double(layer.weights[o, i]) } }
        }
        biases = network.layers.map { layer in (0..<layer.outputs).map { Double(layer.biases[0, $0]) } }
        activations = network.layers.map(\.activation)
        positiveUnits = network.layers.map(\.positiveUnits)
        self.loss = loss
    }

    static func f(_ activation: Activation, _ a: Double, positive: Bool = true) -> Double {
        switch activation {
        case .mixedRectifier: positive ? max(0, a) : -max(0, a)
        case .tanh: Foundation.tanh(a)
        case .sigmoid: 1 / (1 + Foundation.exp(-a))
        case .relu, .positiveRectifier: max(0, a)
        case .negativeRectifier: -max(0, a)
        case .identity: a
        case .hardSigmoid: min(max(a, 0), 1)
        }
    }

    func output(_ x: [Double]) -> [Double] {
        var h = x
        for ℓ in weights.indices {
            h = weights[ℓ].indices.map { o in
                Self.f(activations[ℓ], zip(weights[ℓ][o], h).reduce(biases[ℓ][o]) { $0 + $1.0 * $1.1 }, positive: o < positiveUnits[ℓ])
            }
        }
        return h
    }

    /// Mean loss over the rows of `inputs`.
    func meanLoss(inputs: [[Double]], targets: [[Double]]) -> Double {
        var total = 0.0
        for (x, y) in zip(inputs, targets) {
            let o = output(x)
            switch loss {
            case .crossEntropy:
                let m = o.max()!
                let logSum = Foundation.log(o.reduce(0) { $0 + Foundation.exp($1 - m) }) + m
                total -= zip(o, y).reduce(0) { $0 + $1.1 * ($1.0 - logSum) }
            case .squaredError:
                total += 0.5 * zip(o, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            case .rectilinear:
                // Each output pair regresses on its share of the target: ½(h₊ − y⁺)² + ½(h₋ − y⁻)².
                for k in y.indices {
                    total += 0.5 * (o[2 * k] - max(y[k], 0)) * (o[2 * k] - max(y[k], 0))
                    total += 0.5 * (o[2 * k + 1] - min(y[k], 0)) * (o[2 * k + 1] - min(y[k], 0))
                }
            }
        }
        return total / Double(inputs.count)
    }

    /// Central differences of the mean loss with respect to every weight of layer ℓ, row-major.
    func numericalWeightGradient(layer ℓ: Int, inputs: [[Double]], targets: [[Double]], step: Double = 1e-5) -> [Double] {
        var gradient: [Double] = []
        var probe = self
        for o in weights[ℓ].indices {
            for i in weights[ℓ][o].indices {
                let w = weights[ℓ][o][i]
                probe.weights[ℓ][o][i] = w + step
                let up = probe.meanLoss(inputs: inputs, targets: targets)
                probe.weights[ℓ][o][i] = w - step
                let down = probe.meanLoss(inputs: inputs, targets: targets)
                probe.weights[ℓ][o][i] = w
                gradient.append((up - down) / (2 * step))
            }
        }
        return gradient
    }

    func numericalBiasGradient(layer ℓ: Int, inputs: [[Double]], targets: [[Double]], step: Double = 1e-5) -> [Double] {
        var probe = self
        return biases[ℓ].indices.map { o in
            let b = biases[ℓ][o]
            probe.biases[ℓ][o] = b + step
            let up = probe.meanLoss(inputs: inputs, targets: targets)
            probe.biases[ℓ][o] = b - step
            let down = probe.meanLoss(inputs: inputs, targets: targets)
            probe.biases[ℓ][o] = b
            return (up - down) / (2 * step)
        }
    }
}

/// Runs the shared training path up to the credits and weight gradients (no optimizer step).
func ruleGradients(network: Network, rule: inout some LearningRule, loss: Loss, input: Matrix, target: Matrix,
                   backend: LinearAlgebraBackend = .portable) -> Workspace {
    var workspace = Workspace(architecture: network.architecture, batchSize: input.rows)
    workspace.input = input
    workspace.target = target
    network.forward(&workspace, backend: backend)
    network.writeOutputError(loss: loss, into: &workspace)
    var random = RandomSource(seed: 0)
    rule.assignCredit(network: network, workspace: &workspace, backend: backend, random: &random)
    LocalUpdate.computeGradients(&workspace, backend: backend)
    return workspace
}

extension Matrix {
    var doubles: [Double] { elements.map(Double.init) }
    var rowsAsDoubles: [[Double]] { (0..<rows).map { r in (0..<columns).map { Double(self[r, $0]) } } }
}

extension EpochRecord {
    /// ‖Wᵀ − B‖/‖W‖ of a recurrent run's `B_out` at the epoch's end.
    var readoutRelativeError: Double { feedbackError("readout") }
    /// ‖Wᵀ − B‖/‖W‖ of a recurrent run's `B_rec` at the epoch's end.
    var recurrentRelativeError: Double { feedbackError("recurrent") }

    private func feedbackError(_ kind: String) -> Double {
        probes.last?.diagnostics.feedback.first { $0.kind == kind }?.relativeError ?? .nan
    }
}
