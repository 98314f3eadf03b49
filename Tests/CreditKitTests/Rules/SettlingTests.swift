import Foundation
import Testing
@testable import CreditKit

/// The settling networks (equilibrium propagation, contrastive Hebbian learning) against what
/// they must do. CreditKit computes in Float, so "converges" means down to Float's resolution.
@Suite("Settling networks")
struct SettlingTests {
    /// A small hard-sigmoid net with weak enough couplings that the relaxation converges tightly,
    /// and a batch on it (inputs in [0, 1], one-hot targets).
    static func problem(seed: UInt64 = 3, rows: Int = 6) -> (Network, Workspace) {
        var random = RandomSource(seed: seed)
        var network = Network(architecture: Architecture(sizes: [4, 6, 5, 3], hiddenActivation: .hardSigmoid,
                                                         outputActivation: .hardSigmoid), initializer: .xavier, random: &random)
        for ℓ in network.layers.indices { network.layers[ℓ].biases = randomMatrix(1, network.layers[ℓ].outputs, &random, scale: 0.3) }
        for ℓ in network.layers.indices {
            network.layers[ℓ].biases = Matrix(rows: 1, columns: network.layers[ℓ].outputs,
                                              elements: network.layers[ℓ].biases.elements.map { $0 + 0.4 })
        }
        var workspace = Workspace(architecture: network.architecture, batchSize: rows)
        workspace.input = Matrix(rows: rows, columns: 4) { _, _ in random.nextUnitFloat() }
        workspace.target = Matrix(rows: rows, columns: 3) { r, c in c == r % 3 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        return (network, workspace)
    }

    /// The free phase from zero states, `steps` long.
    static func settle(_ network: Network, _ workspace: Workspace, steps: Int, stepSize: Float = 0.5) -> LayerScratch {
        var states = LayerScratch()
        states.fit(workspace)
        for i in 0..<network.depth { states[i].fill(0) }
        var relaxation = Relaxation()
        relaxation.relax(&states, steps: steps, stepSize: stepSize, beta: 0, clampOutput: false, network: network, workspace: workspace,
                         backend: .portable)
        return states
    }

    /// `C = ½‖sᴸ − y‖²` at the free fixed point, the batch's mean.
    static func cost(_ network: Network, _ input: Workspace) -> Double {
        var workspace = input
        network.forward(&workspace, backend: .portable)
        let states = settle(network, workspace, steps: 400)
        let top = states[network.depth - 1]
        return zip(top.elements, workspace.target.elements).reduce(0.0) { $0 + 0.5 * Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            / Double(top.rows)
    }

    @Test func theRelaxationLowersTheEnergyAtEveryStep() {
        let (network, workspace) = Self.problem()
        var states = LayerScratch()
        states.fit(workspace)
        for i in 0..<network.depth { states[i].fill(0) }
        var relaxation = Relaxation()
        var energies = [Relaxation.energy(states, network: network, workspace: workspace, backend: .portable).reduce(0, +)]
        for _ in 0..<60 {
            relaxation.relax(&states, steps: 1, stepSize: 0.1, beta: 0, clampOutput: false, network: network, workspace: workspace,
                             backend: .portable)
            energies.append(Relaxation.energy(states, network: network, workspace: workspace, backend: .portable).reduce(0, +))
        }
        let rises = zip(energies, energies.dropFirst()).filter { $1 > $0 + 1e-5 }
        #expect(rises.isEmpty, "\(energies)")
        #expect(energies.last! < energies.first! - 0.1, "\(energies.first!) → \(energies.last!)")
        #expect(relaxation.residual(states, network: network, workspace: workspace, backend: .portable) < 0.05)
    }

    /// The reference itself: the recurrent-backprop gradient at the free fixed point matches
    /// central differences of `C(s⁰(θ))`, re-settling for every perturbed weight.
    @Test func theFixedPointGradientIsTheCostsGradient() {
        let (network, workspace) = Self.problem()
        let states = Self.settle(network, workspace, steps: 1500)
        let analytic = FixedPointGradient.weightGradients(states: states, network: network, workspace: workspace, backend: .portable)
        var numeric: [Double] = [], exact: [Double] = []
        let h: Float = 1e-2
        for ℓ in network.layers.indices {
            for k in 0..<network.layers[ℓ].weights.count {
                var plus = network, minus = network
                plus.layers[ℓ].weights.storage[k] += h
                minus.layers[ℓ].weights.storage[k] -= h
                numeric.append((Self.cost(plus, workspace) - Self.cost(minus, workspace)) / Double(2 * h))
                exact.append(Double(analytic[ℓ].storage[k]))
            }
        }
        let error = relativeError(exact, numeric)
        #expect(error < 1e-2, "relative error \(error)")
        #expect(exact.map(abs).max()! > 1e-3)
    }

    /// EP's update tends to the fixed point's gradient as β → 0: the error falls like β one-sided
    /// and like β² symmetric (the fitted log–log slopes).
    @Test(arguments: [SettlingSettings.NudgeMode.oneSided, .symmetric])
    func equilibriumPropagationConvergesToTheGradient(_ mode: SettlingSettings.NudgeMode) {
        let (network, workspace) = Self.problem()
        let reference = FixedPointGradient.weightGradients(states: Self.settle(network, workspace, steps: 1500), network: network,
                                                           workspace: workspace, backend: .portable).flatMap { $0.elements.map(Double.init) }
        let betas: [Float] = [0.04, 0.02, 0.01, 0.005]
        let errors = betas.map { β -> Double in
            var rule = EquilibriumPropagation(settings: SettlingSettings(beta: β, betaSign: .positive, nudgeMode: mode, freeSteps: 1500,
                                                                         nudgedSteps: 1500))
            var probe = workspace
            var random = RandomSource(seed: 1)
            rule.assignCredit(network: network, workspace: &probe, backend: .portable, random: &random)
            LocalUpdate.computeGradients(&probe, rule: rule, backend: .portable)
            return relativeError(probe.weightGradients.flatMap { $0.elements.map(Double.init) }, reference)
        }
        let x = betas.map { log(Double($0)) }, y = errors.map(log)
        let (mx, my) = (x.reduce(0, +) / 4, y.reduce(0, +) / 4)
        let slope = zip(x, y).reduce(0.0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0.0) { $0 + ($1 - mx) * ($1 - mx) }
        let expected = mode == .oneSided ? 1.0 : 2.0
        #expect(abs(slope - expected) < 0.3, "errors \(errors), slope \(slope)")
        #expect(errors.last! < (mode == .oneSided ? 0.02 : 1e-3), "errors \(errors)")
    }

    /// When the free phase already gives the target, clamping the output to it changes no state,
    /// and CHL changes no weight.
    @Test func contrastiveHebbianLearningAtItsTargetChangesNothing() {
        var (network, workspace) = Self.problem()
        let free = Self.settle(network, workspace, steps: 1500)
        workspace.target.copyElements(from: free[network.depth - 1])
        network.forward(&workspace, backend: .portable)
        var rule = EquilibriumPropagation(settings: SettlingSettings(contrast: .contrastiveHebbian, freeSteps: 1500, nudgedSteps: 200))
        var random = RandomSource(seed: 1)
        rule.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        LocalUpdate.computeGradients(&workspace, rule: rule, backend: .portable)
        let largest = workspace.weightGradients.flatMap(\.elements).map(abs).max()!
        #expect(largest < 1e-5, "largest change \(largest)")
    }

    /// Persistent states: each training example's free phase resumes where its last one ended, so
    /// a second pass over the same examples starts at equilibrium; rows of unknown examples, and
    /// evaluation, start from zero.
    @Test func persistentStatesResumeEachExamplesFreePhase() {
        var (network, workspace) = Self.problem()
        for r in 0..<workspace.batchSize { workspace.examples[r] = 2 * r }
        var settings = SettlingSettings(freeSteps: 300, persistentStates: true, trainingExamples: 20)
        var rule = EquilibriumPropagation(settings: settings, network: network)
        var random = RandomSource(seed: 1)
        var first = workspace
        rule.assignCredit(network: network, workspace: &first, backend: .portable, random: &random)
        // One free step from the kept states stays at equilibrium; from zero it is far from it.
        settings.freeSteps = 1
        var kept = EquilibriumPropagation(settings: settings, network: network)
        kept.state = rule.state
        var fresh = EquilibriumPropagation(settings: SettlingSettings(freeSteps: 1), network: network)
        var second = workspace, zero = workspace
        kept.assignCredit(network: network, workspace: &second, backend: .portable, random: &random)
        fresh.assignCredit(network: network, workspace: &zero, backend: .portable, random: &random)
        var relaxation = Relaxation()
        let resumed = relaxation.residual(kept.freeStates, network: network, workspace: workspace, backend: .portable)
        let restarted = relaxation.residual(fresh.freeStates, network: network, workspace: workspace, backend: .portable)
        #expect(resumed < 1e-4 && restarted > 1e-2, "resumed \(resumed), restarted \(restarted)")
        #expect(rule.state.first?.value.rows == 20)
    }

    /// The network answers by its free phase, not by the feed-forward pass.
    @Test func itAnswersByItsFreePhase() {
        var (network, workspace) = Self.problem()
        let free = Self.settle(network, workspace, steps: 20)
        var rule = EquilibriumPropagation(settings: SettlingSettings())
        rule.infer(network: network, workspace: &workspace, backend: .portable)
        #expect(workspace.output.elements == free[network.depth - 1].elements)
        network.forward(&workspace, backend: .portable)
        #expect(workspace.output.elements != free[network.depth - 1].elements)
    }

    @Test(arguments: [
        (SettlingSettings(beta: 0), "rule.beta"), (SettlingSettings(freeSteps: 0), "rule.freeSteps"),
        (SettlingSettings(stepSize: 0), "rule.stepSize"), (SettlingSettings(stepSize: -0.5), "rule.stepSize"),
        (SettlingSettings(contrast: .contrastiveHebbian, beta: 0.2), "rule"),
    ])
    func settingsThatMakeNoSenseAreRefused(_ settings: SettlingSettings, _ field: String) {
        let configuration = TrainingConfiguration(hiddenLayers: [8], activation: .hardSigmoid, outputActivation: .hardSigmoid,
                                                  loss: .squaredError, rule: RuleSpec(settings))
        #expect {
            try configuration.validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }

    @Test func itNeedsHardSigmoidUnitsAndTheSquaredError() {
        #expect(throws: ConfigurationError.self) {
            try TrainingConfiguration(hiddenLayers: [8], loss: .squaredError, rule: .equilibriumPropagation).validate()
        }
        #expect(throws: ConfigurationError.self) {
            try TrainingConfiguration(hiddenLayers: [8], activation: .hardSigmoid, rule: .equilibriumPropagation).validate()
        }
    }
}

/// Predictive coding against backprop.
@Suite("Predictive coding")
struct PredictiveCodingTests {
    /// With the predictions held at their feed-forward values the errors converge to backprop's
    /// `δa` (to Float's resolution: 10⁻⁵ relative) on a 4-layer tanh net with cross-entropy and
    /// a sigmoid net with the squared error.
    @Test(arguments: [(Activation.tanh, Loss.crossEntropy), (.sigmoid, .squaredError)])
    func fixedPredictionsGiveBackpropsCredit(_ activation: Activation, _ loss: Loss) {
        var random = RandomSource(seed: 8)
        let network = Network(architecture: Architecture(sizes: [7, 9, 8, 6, 4], hiddenActivation: activation), initializer: .xavier,
                              random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 5)
        workspace.input = randomMatrix(5, 7, &random)
        workspace.target = Matrix(rows: 5, columns: 4) { r, c in c == r % 4 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: loss, into: &workspace)
        var reference = workspace
        var backprop = Backpropagation()
        backprop.assignCredit(network: network, workspace: &reference, backend: .portable, random: &random)
        var rule = PredictiveCoding(settings: PredictiveCodingSettings(predictions: .fixed, inferenceSteps: 200, inferenceRate: 0.2),
                                    loss: loss)
        rule.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        for ℓ in 0..<3 {
            let error = relativeError(workspace.credits[ℓ].elements.map(Double.init), reference.credits[ℓ].elements.map(Double.init))
            #expect(error < 1e-5, "layer \(ℓ + 1): \(error)")
        }
    }

    /// Fixed predictions train as backprop does; recomputed ones learn too (reported, not equal).
    @Test func itLearnsTheDigits() throws {
        let data = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        func finalError(_ rule: RuleSpec) throws -> Double {
            var trainer = try Trainer(configuration: TrainingConfiguration(hiddenLayers: [32, 16], rule: rule, epochs: 2, batchSize: 32,
                                                                           seed: 2), data: data)
            for _ in 0..<2 { try trainer.trainEpoch() }
            return trainer.history.last!.testError
        }
        let backprop = try finalError(.backprop), fixed = try finalError(RuleSpec(PredictiveCodingSettings(inferenceSteps: 30)))
        let recomputed = try finalError(RuleSpec(PredictiveCodingSettings(predictions: .recomputed, inferenceSteps: 20)))
        #expect(abs(fixed - backprop) < 0.005, "pc \(fixed), bp \(backprop)")
        #expect(recomputed < 0.2, "pc recomputed \(recomputed)")
    }

    @Test func settingsThatMakeNoSenseAreRefused() {
        for (settings, field) in [(PredictiveCodingSettings(inferenceSteps: 0), "rule.inferenceSteps"),
                                  (PredictiveCodingSettings(inferenceRate: 0), "rule.inferenceRate")] {
            #expect {
                try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(settings)).validate()
            } throws: { error in
                (error as? ConfigurationError)?.field == field
            }
        }
    }
}
