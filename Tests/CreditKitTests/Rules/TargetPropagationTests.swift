import Foundation
import Testing
@testable import CreditKit

/// Difference target propagation against what it must do.
@Suite("Target propagation")
struct TargetPropagationTests {
    /// `M⁻¹` by Gauss–Jordan elimination with partial pivoting, in Double.
    static func inverse(_ m: Matrix) -> Matrix {
        let n = m.rows
        var a = (0..<n).map { r in (0..<n).map { Double(m[r, $0]) } + (0..<n).map { $0 == r ? 1.0 : 0 } }
        for c in 0..<n {
            let pivot = (c..<n).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            a.swapAt(c, pivot)
            let p = a[c][c]
            a[c] = a[c].map { $0 / p }
            for r in 0..<n where r != c {
                let f = a[r][c]
                a[r] = zip(a[r], a[c]).map { $0 - f * $1 }
            }
        }
        return Matrix(rows: n, columns: n) { r, c in Float(a[r][n + c]) }
    }

    /// Sets `g_ℓ` to the exact inverse of the linear map of layer ℓ + 1: `g(h) = W⁻¹(h − b)`, i.e.
    /// `G = W⁻¹`, `c = −W⁻¹b`.
    static func setExactInverse(_ topDown: inout LearnedTopDown, layer ℓ: Int, of network: Network) {
        let above = network.layers[ℓ + 1]
        let inverse = inverse(above.weights)
        topDown.weights[ℓ] = inverse
        topDown.biases[ℓ] = Matrix(rows: 1, columns: above.inputs) { _, i in
            -(0..<above.outputs).reduce(Float(0)) { $0 + inverse[i, $1] * above.biases[0, $1] }
        }
    }

    /// `rule`'s credit on one batch of `rows` random inputs with one-hot targets cycling through the
    /// classes: the forward pass, the output error under `loss`, then the rule.
    static func assignCredit(_ rule: inout TargetPropagation, network: Network, rows: Int, loss: Loss = .crossEntropy,
                             random: inout RandomSource) -> Workspace {
        let (inputs, classes) = (network.architecture.sizes.first!, network.architecture.sizes.last!)
        var workspace = Workspace(architecture: network.architecture, batchSize: rows)
        workspace.input = randomMatrix(rows, inputs, &random)
        workspace.target = Matrix(rows: rows, columns: classes) { r, c in c == r % classes ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: loss, into: &workspace)
        rule.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        return workspace
    }

    /// On a linear network of invertible square layers, top-down weights set to the exact inverses
    /// (`g(h) = W⁻¹(h − b)`) give targets that the network maps forward exactly onto the next
    /// layer's targets: `Wⁱ⁺¹ ĥⁱ + bⁱ⁺¹ = ĥⁱ⁺¹`.
    @Test func exactInversesGiveTargetsTheNetworkMapsForwardExactly() throws {
        var random = RandomSource(seed: 4)
        var network = Network(architecture: Architecture(sizes: [5, 5, 5, 5, 3], hiddenActivation: .identity), initializer: .xavier, random: &random)
        for ℓ in 0..<3 { network.layers[ℓ].biases = randomMatrix(1, 5, &random, scale: 0.1) }
        var topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, random: &random)
        // g_ℓ inverts layer ℓ+1 (the hidden layers' maps; the output layer's is not square).
        for ℓ in 0..<2 { Self.setExactInverse(&topDown, layer: ℓ, of: network) }
        var rule = TargetPropagation(difference: true, targetStep: 0.1, topDown: topDown, learnsTopDown: { _ in true })
        let workspace = Self.assignCredit(&rule, network: network, rows: 8, random: &random)
        let targets = rule.targets
        for ℓ in 0..<2 {
            var pre = Matrix(rows: 8, columns: 5), mapped = Matrix(rows: 8, columns: 5)
            network.forward(layer: ℓ + 1, from: targets[ℓ], preActivation: &pre, activity: &mapped, backend: .portable)
            let difference = zip(mapped.elements, targets[ℓ + 1].elements).map { Double(abs($0 - $1)) }.max()!
            let moved = zip(targets[ℓ + 1].elements, workspace.activities[ℓ + 1].elements).map { Double(abs($0 - $1)) }.max()!
            #expect(moved > 1e-3 && difference < 1e-4 * max(moved, 1), "layer \(ℓ + 1): \(difference) (targets moved by \(moved))")
        }
        // With the exact transposes' step the penultimate credit is backprop's.
        var reference = workspace
        var bp = Backpropagation()
        bp.assignCredit(network: network, workspace: &reference, backend: .portable, random: &random)
        #expect(relativeError(workspace.credits[2].elements.map(Double.init), reference.credits[2].elements.map(Double.init)) < 1e-5)
    }

    /// Starting at the output (Meulemans et al.'s chain), exact inverses of a linear net of square
    /// layers give targets that map forward onto the output step `hᴸ − αe`, and those targets are
    /// the Gauss–Newton changes: `J⁻¹(−αe)`, 0° in every hidden layer.
    @Test func anOutputStepThroughExactInversesIsGaussNewton() throws {
        var random = RandomSource(seed: 11)
        var network = Network(architecture: Architecture(sizes: [4, 4, 4, 4], hiddenActivation: .identity), initializer: .xavier, random: &random)
        for ℓ in 0..<3 { network.layers[ℓ].biases = randomMatrix(1, 4, &random, scale: 0.1) }
        var topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, chainTop: 2, random: &random)
        for ℓ in 0..<2 { Self.setExactInverse(&topDown, layer: ℓ, of: network) }  // g₁ reads the output
        var rule = TargetPropagation(difference: true, topTarget: .outputStep, targetStep: 0.1, topDown: topDown, learnsTopDown: { _ in true })
        let workspace = Self.assignCredit(&rule, network: network, rows: 8, random: &random)
        var pre = Matrix(rows: 8, columns: 4), mapped = pre
        network.forward(layer: 2, from: rule.targets[1], preActivation: &pre, activity: &mapped, backend: .portable)
        let stepped = zip(workspace.activities[2].elements, workspace.credits[2].elements).map { $0 - 0.1 * $1 }
        #expect(zip(mapped.elements, stepped).allSatisfy { abs($0 - $1) < 1e-4 }, "\(mapped.elements) against \(stepped)")
        let columns = rule.probeColumns(network: network, workspace: workspace, backend: .portable)
        let angles = (1...2).map { ℓ in columns.first { $0.name == "angle_GN_target\(ℓ)" }?.value ?? .nan }
        #expect(angles.allSatisfy { $0 < 0.05 }, "\(angles)")
        var cli = RuleSpec(argument: "drl")!
        try cli.applyOptions(["--top-target", "output-step"])
        #expect(cli == RuleSpec(TargetPropagationSettings(topTarget: .outputStep, topDown: TopDownSettings(noise: 0.06, loss: .difference))))
        #expect(throws: ConfigurationError.self) { try cli.applyOptions(["--top-target", "label"]) }
        var sdtp = RuleSpec(argument: "sdtp")!
        #expect(throws: ConfigurationError.self) { try sdtp.applyOptions(["--top-target", "output-step"]) }
    }

    /// The Gauss–Newton changes against an independent computation on a linear net, where
    /// `J = ∂hᴸ/∂hˡ` is the product of the weights above: `Jᵀ(JJᵀ)⁻¹(−e)` reads 0°, backprop's
    /// `Jᵀ(−e)` does not (the two differ by the output-space metric `(JJᵀ)⁻¹`).
    @Test func gaussNewtonTargetsAreTheLeastNormChangesThatMoveTheOutputByTheError() {
        var random = RandomSource(seed: 8)
        let network = Network(architecture: Architecture(sizes: [4, 5, 5, 3], hiddenActivation: .identity), initializer: .xavier,
                              random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 6)
        workspace.input = randomMatrix(6, 4, &random)
        workspace.target = Matrix(rows: 6, columns: 3) { r, c in c == r % 3 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: .crossEntropy, into: &workspace)
        var outputChange = workspace.credits[2]
        outputChange.scale(by: -1)
        var above = Matrix(rows: 3, columns: 5)
        LinearAlgebraBackend.portable.gemm(network.layers[2].weights, .none, network.layers[1].weights, .none, into: &above)
        let jacobians = [above, network.layers[2].weights]  // ∂h³/∂h¹, ∂h³/∂h²
        func changes(gaussNewton: Bool) -> [Matrix] {
            jacobians.map { j in
                let metric = Self.inverse(Matrix(rows: 3, columns: 3) { a, b in (0..<5).reduce(Float(0)) { $0 + j[a, $1] * j[b, $1] } })
                return Matrix(rows: 6, columns: 5) { r, n in
                    (0..<3).reduce(Float(0)) { sum, a in
                        let y = gaussNewton ? (0..<3).reduce(Float(0)) { $0 + metric[a, $1] * outputChange[r, $1] } : outputChange[r, a]
                        return sum + j[a, n] * y
                    }
                }
            } + [outputChange]
        }
        let exact = GaussNewtonTargets.angles(network: network, workspace: workspace, top: 2, changes: changes(gaussNewton: true), rows: 6,
                                              backend: .portable)
        let backprop = GaussNewtonTargets.angles(network: network, workspace: workspace, top: 2, changes: changes(gaussNewton: false),
                                                 rows: 6, backend: .portable)
        #expect(exact.count == 2 && exact.allSatisfy { $0 < 0.05 }, "\(exact)")
        #expect(backprop.allSatisfy { $0 > 2 }, "\(backprop)")
    }

    /// SDTP's chain starts at the label: with an exact inverse of a linear output layer the
    /// penultimate target `hᴸ⁻¹ + g(y) − g(hᴸ)` is mapped forward exactly onto `y`.
    @Test func simplifiedTargetsMapForwardOntoTheLabel() throws {
        var random = RandomSource(seed: 6)
        var network = Network(architecture: Architecture(sizes: [4, 5, 5, 5], hiddenActivation: .tanh, outputActivation: .identity),
                              initializer: .xavier, random: &random)
        network.layers[2].biases = randomMatrix(1, 5, &random, scale: 0.1)
        var topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, random: &random)
        Self.setExactInverse(&topDown, layer: 1, of: network)
        // g of a tanh layer is tanh(G h + c): undo it by making layer 1 (the penultimate) linear.
        network.layers[1].activation = .identity
        var rule = TargetPropagation(difference: true, topTarget: .label, targetStep: 1, topDown: topDown, learnsTopDown: { _ in true })
        let workspace = Self.assignCredit(&rule, network: network, rows: 6, loss: .squaredError, random: &random)
        var pre = Matrix(rows: 6, columns: 5), mapped = Matrix(rows: 6, columns: 5)
        network.forward(layer: 2, from: rule.targets[1], preActivation: &pre, activity: &mapped, backend: .portable)
        let difference = zip(mapped.elements, workspace.target.elements).map { Double(abs($0 - $1)) }.max()!
        #expect(difference < 1e-4, "\(difference)")
        #expect(rule.name == "sdtp")
    }

    /// DRL's gradient is the gradient of its loss: for one draw of the corruption, a small step
    /// lowers layer 0's loss — whose round trip runs through every higher layer — by `‖ΔG‖²/lr`
    /// (first order); and over many batches every layer's loss falls.
    @Test func differenceReconstructionLossFalls() throws {
        var random = RandomSource(seed: 7)
        let network = Network(architecture: Architecture(sizes: [6, 8, 8, 8, 3], hiddenActivation: .tanh), initializer: .xavier, random: &random)
        let learningRate: Float = 1e-3
        var topDown = LearnedTopDown(network: network, learningRate: learningRate, noise: 0.1, loss: .difference, chainTop: 3,
                                     random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 16)
        workspace.input = randomMatrix(16, 6, &random)
        network.forward(&workspace, backend: .portable)
        topDown.prepare(workspace)
        let draw = random
        var first = draw
        let (weights, biases) = (topDown.weights[0], topDown.biases[0])
        topDown.learnDifferenceReconstruction(layer: 0, network: network, workspace: workspace, backend: .portable, random: &first)
        let before = topDown.lastLoss[0]
        let step = zip(topDown.weights[0].elements, weights.elements).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            + zip(topDown.biases[0].elements, biases.elements).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        var second = draw
        topDown.learnDifferenceReconstruction(layer: 0, network: network, workspace: workspace, backend: .portable, random: &second)
        let decrease = before - topDown.lastLoss[0], expected = step / Double(learningRate)
        #expect(expected > 0 && abs(decrease - expected) < 0.05 * expected, "decrease \(decrease), expected \(expected)")

        // DTP's chain (top: the penultimate layer), whose round trips have no bottleneck.
        var trained = LearnedTopDown(network: network, learningRate: 0.02, noise: 0.1, loss: .difference, chainTop: 2, random: &random)
        var losses: [[Double]] = []
        for _ in 0..<400 {
            workspace.input = randomMatrix(16, 6, &random)
            network.forward(&workspace, backend: .portable)
            trained.learn(network: network, workspace: workspace, backend: .portable, random: &random)
            losses.append(trained.lastLoss)
        }
        for ℓ in 0..<3 {
            let early = losses.prefix(20).map { $0[ℓ] }.reduce(0, +), late = losses.suffix(20).map { $0[ℓ] }.reduce(0, +)
            #expect(late < 0.5 * early, "layer \(ℓ + 1): \(early / 20) → \(late / 20); \((0..<3).map { k in losses.suffix(20).map { $0[k] }.reduce(0, +) / 20 })")
        }
    }

    /// DTP learns the digits as well as backprop does; plain TP learns too (its targets carry the
    /// inverses' reconstruction error, which its larger default α keeps small).
    @Test func differenceTargetPropagationLearnsTheDigits() throws {
        let data = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        func finalError(_ rule: String) throws -> Double {
            var trainer = try Trainer(configuration: TrainingConfiguration(hiddenLayers: [32, 16], rule: RuleSpec(argument: rule)!,
                                                                           epochs: 4, batchSize: 32, seed: 2), data: data)
            for _ in 0..<4 { try trainer.trainEpoch() }
            return trainer.history.last!.testError
        }
        let (bp, dtp, tp) = (try finalError("bp"), try finalError("dtp"), try finalError("tp"))
        let (sdtp, drl) = (try finalError("sdtp"), try finalError("drl"))
        #expect(dtp < bp + 0.03, "dtp \(dtp), bp \(bp)")
        #expect(tp < 0.3, "tp \(tp), dtp \(dtp)")
        #expect(sdtp < 0.3, "sdtp \(sdtp), dtp \(dtp)")
        #expect(drl < bp + 0.03, "drl \(drl), bp \(bp)")
    }

    /// SDTP has no gradient step to set; DRL divides by σ², so σ = 0 is refused; a config.json
    /// written before either existed still reads (as DTP with the de-noising loss).
    @Test func settingsThatMakeNoSenseAreRefusedAndOldConfigurationsRead() throws {
        var sdtp = RuleSpec(argument: "sdtp")!
        #expect(throws: ConfigurationError.self) { try sdtp.applyOptions(["--target-step", "0.2"]) }
        var drl = RuleSpec(argument: "drl")!
        try drl.applyOptions(["--backward-noise", "0"])
        #expect {
            try TrainingConfiguration(hiddenLayers: [8, 8], rule: drl).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "rule.topDown.noise"
        }
        #expect(RuleSpec(argument: "drl")!.description == "drl" && sdtp.description == "sdtp")
        let old = #"{"name": "target-propagation", "settings": {"difference": true, "targetStep": 0.1, "#
            + #""topDown": {"learningRate": 0.01, "noise": 0.1, "schedule": "parallel", "pretrainEpochs": 0}}}"#
        let decoded = try JSONDecoder().decode(RuleSpec.self, from: Data(old.utf8))
        #expect(decoded == .differenceTargetPropagation)
        var adam = RuleSpec(argument: "dtp")!
        try adam.applyOptions(["--backward-optimizer", "adam", "--backward-lr", "0.001"])
        #expect(adam == RuleSpec(TargetPropagationSettings(topDown: TopDownSettings(learningRate: 0.001, optimizer: .adam))))
        let written = try JSONDecoder().decode(RuleSpec.self, from: JSONEncoder().encode(adam))
        #expect(written == adam)
        // Before the de-noising form existed, "loss": "denoising" named the noise-preserving one.
        let legacy = old.replacingOccurrences(of: #""pretrainEpochs": 0}"#, with: #""pretrainEpochs": 0, "loss": "denoising"}"#)
        #expect(try JSONDecoder().decode(RuleSpec.self, from: Data(legacy.utf8)) == .differenceTargetPropagation)
        var denoising = RuleSpec(argument: "dtp")!
        try denoising.applyOptions(["--backward-loss", "denoising"])
        #expect(denoising == RuleSpec(TargetPropagationSettings(topDown: TopDownSettings(loss: .denoising))))
        #expect(try JSONDecoder().decode(RuleSpec.self, from: JSONEncoder().encode(denoising)) == denoising)
    }

    @Test func aTargetStepThatIsNotPositiveIsRefused() {
        #expect {
            try TrainingConfiguration(hiddenLayers: [8], rule: RuleSpec(TargetPropagationSettings(targetStep: 0))).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "rule.targetStep"
        }
    }
}

@Suite("Learned top-down diagnostics")
struct LearnedTopDownDiagnosticsTests {
    /// Every hidden layer reports its reconstruction error and the angle of `G`'s Jacobian–vector
    /// product to `Wᵀ`'s; with `G = Wᵀ` on a linear net the angle is 0°.
    @Test func reconstructionErrorAndJacobianAngleAreReported() throws {
        var random = RandomSource(seed: 5)
        let network = Network(architecture: Architecture(sizes: [6, 7, 5, 3], hiddenActivation: .identity), initializer: .xavier, random: &random)
        var topDown = LearnedTopDown(network: network, learningRate: 0.01, noise: 0.1, random: &random)
        var workspace = Workspace(architecture: network.architecture, batchSize: 10)
        workspace.input = randomMatrix(10, 6, &random)
        workspace.target = Matrix(rows: 10, columns: 3) { r, c in c == r % 3 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: .crossEntropy, into: &workspace)
        var bp = Backpropagation()
        bp.assignCredit(network: network, workspace: &workspace, backend: .portable, random: &random)
        let random0 = topDown.probeColumns(network: network, workspace: workspace, backend: .portable)
        #expect(random0.map(\.name) == ["reconstruction_error_G2", "angle_JG2_vs_WT", "reconstruction_error_G3", "angle_JG3_vs_WT"])
        #expect(random0.allSatisfy { $0.value.isFinite } && random0[1].value > 10)
        for ℓ in 0..<2 { topDown.weights[ℓ] = network.layers[ℓ + 1].weights.transposed }
        let exact = topDown.probeColumns(network: network, workspace: workspace, backend: .portable)
        #expect(exact[1].value < 1e-2 && exact[3].value < 1e-2, "\(exact)")
    }
}
