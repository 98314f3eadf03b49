import Foundation
import Testing
@testable import CreditKit

/// Spikes and dropout in the hidden layers.
@Suite("Spikes and dropout")
struct ActivityNoiseTests {
    /// Mean and variance of `count` draws of the noisy version of one rate.
    static func moments(_ noise: ActivityNoise, rate: Float, count: Int = 100_000, seed: UInt64 = 1) -> (mean: Double, variance: Double) {
        var random = RandomSource(seed: seed)
        var activity = Matrix(rows: count, columns: 1, repeating: rate)
        noise.apply(to: &activity, random: &random)
        let values = activity.elements.map(Double.init)
        let mean = values.reduce(0, +) / Double(count)
        return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1))
    }

    /// Spike counts are unbiased, `E[ŝ] = f(a)` within 3 standard errors over 10⁵ draws, with the
    /// variance of their law: `|f|/(rT)` (Poisson, through both samplers: r·T = 10 and 100) and
    /// `|f|(1 − |f|)/n` (Bernoulli); a negative rate spikes with its sign.
    @Test(arguments: [Float(0.05), 0.5, 0.9, -0.3])
    func spikeCountsAreUnbiasedWithTheirLawsVariance(_ rate: Float) {
        for (noise, variance) in [(ActivityNoise.spikes(.poisson, window: 0.1, maxRate: 100), Double(abs(rate)) / 10),
                                  (.spikes(.poisson, window: 1, maxRate: 100), Double(abs(rate)) / 100),
                                  (.spikes(.bernoulli, window: 0.1, maxRate: 100), Double(abs(rate) * (1 - abs(rate))) / 10)] {
            let (mean, measured) = Self.moments(noise, rate: rate)
            let standardError = (variance / 100_000).squareRoot()
            #expect(abs(mean - Double(rate)) < 3 * standardError, "\(noise.kind) r·T \(noise.expectedCount): mean \(mean) for \(rate)")
            #expect(abs(measured / variance - 1) < 0.03, "\(noise.kind) r·T \(noise.expectedCount): variance \(measured), law \(variance)")
        }
    }

    /// Dropout keeps `1 − p` of the units, scaled by `1/(1 − p)`: unbiased too.
    @Test func dropoutIsUnbiased() {
        let (mean, variance) = Self.moments(.dropout(0.5), rate: 0.4)
        #expect(abs(mean - 0.4) < 3 * (0.16 / 100_000).squareRoot(), "mean \(mean)")
        #expect(abs(variance / 0.16 - 1) < 0.03, "variance \(variance)")
    }

    /// Under dropout backprop's gradient is the exact gradient of the loss of the network with that
    /// mask: central differences, drawing the same mask for every perturbed weight.
    @Test func backpropThroughDropoutIsTheMaskedNetworksGradient() {
        var random = RandomSource(seed: 3)
        let network = Network(architecture: Architecture(sizes: [5, 7, 6, 3], hiddenActivation: .tanh), initializer: .xavier,
                              random: &random).withHiddenNoise(.dropout(0.3))
        var workspace = Workspace(architecture: network.architecture, batchSize: 4)
        workspace.input = randomMatrix(4, 5, &random)
        workspace.target = Matrix(rows: 4, columns: 3) { r, c in c == r % 3 ? 1 : 0 }
        func loss(_ network: Network) -> Double {
            var copy = workspace
            var mask = RandomSource(seed: 9)
            network.forward(&copy, random: &mask, backend: .portable)
            return network.writeOutputError(loss: .crossEntropy, into: &copy) / 4
        }
        var mask = RandomSource(seed: 9)
        network.forward(&workspace, random: &mask, backend: .portable)
        network.writeOutputError(loss: .crossEntropy, into: &workspace)
        var backprop = Backpropagation()
        backprop.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        LocalUpdate.computeGradients(&workspace, backend: .portable)
        var numeric: [Double] = [], exact: [Double] = []
        for ℓ in network.layers.indices {
            for k in 0..<network.layers[ℓ].weights.count {
                var plus = network, minus = network
                plus.layers[ℓ].weights.storage[k] += 1e-2
                minus.layers[ℓ].weights.storage[k] -= 1e-2
                numeric.append((loss(plus) - loss(minus)) / 2e-2)
                exact.append(Double(workspace.weightGradients[ℓ].storage[k]))
            }
        }
        #expect(relativeError(exact, numeric) < 1e-2)
        // Some units were dropped, and their incoming weights learn nothing.
        #expect(workspace.activities[0].elements.contains(0))
    }

    /// NGRAD's derivative filter — the spike count after the nudge minus the count before, over
    /// r·T — is unbiased: averaged over K trials it converges to the noiseless change at the
    /// 1/√K rate (the layer below the output, whose nudge is exact).
    @Test func theDerivativeFilterConvergesAtTheInverseSquareRootRate() {
        var random = RandomSource(seed: 5)
        let quiet = Network(architecture: Architecture(sizes: [5, 8, 3], hiddenActivation: .sigmoid), initializer: .xavier, random: &random)
        let spiking = quiet.withHiddenNoise(.spikes(.poisson, window: 0.2, maxRate: 100))
        var workspace = Workspace(architecture: quiet.architecture, batchSize: 6)
        workspace.input = randomMatrix(6, 5, &random)
        workspace.target = Matrix(rows: 6, columns: 3) { r, c in c == r % 3 ? 1 : 0 }
        quiet.forward(&workspace, backend: .portable)
        quiet.writeOutputError(loss: .crossEntropy, into: &workspace)
        var exactRule = ActivityDifference(nudge: 0.5, symmetric: false)
        var exact = workspace
        exactRule.assignCredit(network: quiet, workspace: &exact, backend: .portable, random: &random)
        let target = exact.credits[0].elements.map(Double.init)
        var sum = [Double](repeating: 0, count: target.count)
        var errors: [Int: Double] = [:]
        let noise = ActivityNoise.spikes(.poisson, window: 0.2, maxRate: 100)
        for trial in 1...1600 {
            var noisy = workspace
            noise.apply(to: &noisy.activities[0], random: &random)  // the counts before the nudge
            var rule = ActivityDifference(nudge: 0.5, symmetric: false)
            rule.assignCredit(network: spiking, workspace: &noisy, backend: .portable, random: &random)
            for (k, v) in noisy.credits[0].elements.enumerated() { sum[k] += Double(v) }
            if [25, 100, 400, 1600].contains(trial) { errors[trial] = relativeError(sum.map { $0 / Double(trial) }, target) }
        }
        let slope = log(errors[1600]! / errors[25]!) / log(64.0)
        #expect(abs(slope + 0.5) < 0.15, "errors \(errors.sorted { $0.key < $1.key }), slope \(slope)")
    }

    @Test func spikingAndDropoutNetsLearnTheDigits() throws {
        let data = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        for noise in [ActivityNoise.spikes(.poisson), .spikes(.bernoulli), .dropout(0.2)] {
            var configuration = TrainingConfiguration(hiddenLayers: [32], epochs: 1, seed: 2)
            configuration.noise = noise
            var trainer = try Trainer(configuration: configuration, data: data)
            try trainer.trainEpoch()
            #expect(trainer.history.last!.testError < 0.25, "\(noise.kind): \(trainer.history.last!.testError)")
        }
    }

    /// The gradient probe runs a noiseless forward pass: NGRAD with dropout must not read a mask
    /// into it (it once did, scaling every unit by 1/(1 − p): 89° to backprop), so it reads as
    /// exact as NGRAD does without dropout.
    @Test func ngradWithDropoutIsProbedAsTheNoiselessNetwork() throws {
        let data = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        var configuration = TrainingConfiguration(hiddenLayers: [32, 32], rule: .activityDifference, epochs: 1, seed: 2)
        configuration.noise = .dropout(0.5)
        var trainer = try Trainer(configuration: configuration, data: data)
        let diagnostics = trainer.diagnose()
        #expect(diagnostics.weightAngles.allSatisfy { $0 < 2 }, "\(diagnostics.weightAngles)")
    }
}
