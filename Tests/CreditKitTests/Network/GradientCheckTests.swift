import Testing
@testable import CreditKit

/// Backprop's gradients against central finite differences of an independent Double reference.
@Suite("Backprop matches finite differences")
struct GradientCheckTests {
    struct Case: CustomStringConvertible, Sendable {
        var hidden: Activation
        var loss: Loss
        var output: Activation
        var description: String { "\(hidden.rawValue) hidden, \(loss.rawValue), \(output.rawValue) output" }
    }

    static let cases: [Case] = Activation.allCases.flatMap { hidden in
        [Case(hidden: hidden, loss: .crossEntropy, output: .identity)]
            + Activation.allCases.map { Case(hidden: hidden, loss: .squaredError, output: $0) }
    }

    @Test(arguments: cases)
    func backpropGradientsMatchFiniteDifferences(_ c: Case) {
        var random = RandomSource(seed: 42)
        let architecture = Architecture(sizes: [5, 7, 6, 4], hiddenActivation: c.hidden, outputActivation: c.output)
        var network = Network(architecture: architecture, initializer: .uniform(0.6), random: &random)
        for ℓ in network.layers.indices {
            network.layers[ℓ].biases = randomMatrix(1, network.layers[ℓ].outputs, &random, scale: 0.3)
        }
        let input = randomMatrix(6, 5, &random)
        var target = Matrix(rows: 6, columns: 4)
        for r in 0..<6 {
            if c.loss == .crossEntropy { target[r, r % 4] = 1 } else { for k in 0..<4 { target[r, k] = random.uniform(-1, 1) } }
        }
        var rule = Backpropagation()
        let workspace = ruleGradients(network: network, rule: &rule, loss: c.loss, input: input, target: target)
        let reference = ReferenceNetwork(network, loss: c.loss)
        for ℓ in network.layers.indices {
            let numerical = reference.numericalWeightGradient(layer: ℓ, inputs: input.rowsAsDoubles, targets: target.rowsAsDoubles)
            let analytic = workspace.weightGradients[ℓ].doubles
            let error = relativeError(analytic, numerical, floor: 1e-6)
            #expect(error < 1e-3, "layer \(ℓ + 1) weights: relative error \(error)")
            let numericalBias = reference.numericalBiasGradient(layer: ℓ, inputs: input.rowsAsDoubles, targets: target.rowsAsDoubles)
            let biasError = relativeError(workspace.biasGradients[ℓ].doubles, numericalBias, floor: 1e-6)
            #expect(biasError < 1e-3, "layer \(ℓ + 1) biases: relative error \(biasError)")
        }
    }

    @Test func gradientsAreNotTriviallyZero() {
        // Guards the check above: a network whose gradient vanished would pass it vacuously.
        var random = RandomSource(seed: 42)
        let network = Network(architecture: Architecture(sizes: [5, 7, 4], hiddenActivation: .tanh),
                              initializer: .uniform(0.6), random: &random)
        let input = randomMatrix(6, 5, &random)
        var target = Matrix(rows: 6, columns: 4)
        for r in 0..<6 { target[r, r % 4] = 1 }
        var rule = Backpropagation()
        let workspace = ruleGradients(network: network, rule: &rule, loss: .crossEntropy, input: input, target: target)
        #expect(workspace.weightGradients.allSatisfy { $0.elements.contains { abs($0) > 1e-3 } })
    }

    @Test func theOutputErrorOfSoftmaxCrossEntropyIsPredictionMinusTarget() {
        let logits = Matrix(rows: 1, columns: 3, elements: [1, 2, 3])
        let target = Matrix(rows: 1, columns: 3, elements: [0, 1, 0])
        var gradient = Matrix(rows: 1, columns: 3)
        let loss = Loss.crossEntropy.gradient(output: logits, target: target, into: &gradient)
        let z = Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)
        let softmax = [Foundation.exp(1.0) / z, Foundation.exp(2.0) / z, Foundation.exp(3.0) / z]
        #expect(abs(loss - (-Foundation.log(softmax[1]))) < 1e-5)
        #expect(relativeError(gradient.doubles, [softmax[0], softmax[1] - 1, softmax[2]]) < 1e-5)
    }
}

import Foundation
