/// Target propagation (Lee et al. 2015) and difference target propagation: every hidden layer is
/// given a target activity and learns to reach it.
///
/// The penultimate layer's target is a gradient step on the task loss, `ĥᴸ⁻¹ = hᴸ⁻¹ − α ∂L/∂hᴸ⁻¹`
/// (the loss of each example); below it targets travel down through learned top-down weights
/// (``LearnedTopDown``): `ĥⁱ = gᵢ(ĥⁱ⁺¹)` (TP) or, with the difference correction that cancels
/// the inverses' error, `ĥⁱ = hⁱ + gᵢ(ĥⁱ⁺¹) − gᵢ(hⁱ⁺¹)` (DTP). No target is made for the input.
/// Each hidden layer learns its local loss `½‖hⁱ − ĥⁱ‖²`, whose credit is
/// `δaⁱ = (hⁱ − ĥⁱ) ⊙ fᵢ'(aⁱ)`; here it is divided by α (Meulemans et al.: the forward learning
/// rate divided by the target step), so that one learning rate suits backprop and DTP — with
/// exact transposes the penultimate layer's credit is then backprop's. The output layer learns
/// the task loss.
///
/// SDTP (Bartunov et al. 2018) takes the label itself as the output's target and starts the chain
/// one layer higher, `ĥᴸ⁻¹ = hᴸ⁻¹ + gᴸ⁻¹(y) − gᴸ⁻¹(hᴸ)`, with no gradient at all; its credit is not
/// divided (there is no α). With the output step (``TargetPropagationSettings/TopTarget/outputStep``,
/// Meulemans et al. 2020's DTP) the chain starts at the output too, `ĥᴸ = hᴸ − α e`, and reaches
/// the penultimate layer through learned weights. DRL is DTP whose top-down weights learn the
/// difference reconstruction loss (``TopDownSettings/ReconstructionLoss/difference``), up to where
/// the chain starts.
public struct TargetPropagation: LearningRule {
    /// TP or DTP.
    public let difference: Bool
    /// Where the chain of targets starts.
    public let topTarget: TargetPropagationSettings.TopTarget
    /// `α`, the step of the first target (unused by SDTP).
    public let targetStep: Float
    /// The learned top-down weights `gᵢ`.
    public internal(set) var topDown: LearnedTopDown
    let learnsTopDown: @Sendable (Int) -> Bool
    private var topDownLearnsNow = true
    /// Per layer: the target `ĥⁱ`, and scratch for a reconstruction and its pre-activation.
    private var target = LayerScratch(), reconstruction = LayerScratch(), scratch = LayerScratch()

    /// TP (`difference: false`) or DTP with target step `targetStep` and top-down weights `topDown`
    /// (SDTP when `topTarget` is the label).
    public init(difference: Bool, topTarget: TargetPropagationSettings.TopTarget = .gradientStep, targetStep: Float, topDown: LearnedTopDown,
                learnsTopDown: @escaping @Sendable (Int) -> Bool) {
        self.difference = difference
        self.topTarget = topTarget
        self.targetStep = targetStep
        self.topDown = topDown
        self.learnsTopDown = learnsTopDown
    }

    public var name: String { topTarget == .label ? "sdtp" : difference ? "dtp" : "tp" }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        target.fit(workspace)
        reconstruction.fit(workspace)
        scratch.fit(workspace)
        let penultimate = network.depth - 2
        guard penultimate >= 0 else { return }
        switch topTarget {
        case .gradientStep:
            // ĥᴸ⁻¹ = hᴸ⁻¹ − α e Wᴸ (rows are examples, so ∂L/∂hᴸ⁻¹ = e · Wᴸ).
            target[penultimate].copyElements(from: workspace.activities[penultimate])
            backend.gemm(workspace.credits[penultimate + 1], .none, network.layers[penultimate + 1].weights, .none,
                         into: &target[penultimate], alpha: -targetStep, beta: 1)
        case .outputStep:
            // ĥᴸ = hᴸ − α e; the chain below starts from it, at the penultimate layer.
            let top = penultimate + 1
            target[top].copyElements(from: workspace.activities[top])
            target[top].add(workspace.credits[top], scaledBy: -targetStep)
        case .label:
            // ĥᴸ⁻¹ = hᴸ⁻¹ + gᴸ⁻¹(y) − gᴸ⁻¹(hᴸ), hᴸ the probabilities softmax(aᴸ) = e + y under cross-entropy.
            let top = penultimate + 1
            if topDown.readsProbabilities {
                target[top].copyElements(from: workspace.target)
                target[top].add(workspace.credits[top])
            } else {
                target[top].copyElements(from: workspace.activities[top])
            }
            topDown.reconstruct(layer: penultimate, from: workspace.target, network: network, preActivation: &scratch[penultimate],
                                into: &target[penultimate], backend: backend)
            topDown.reconstruct(layer: penultimate, from: target[top], network: network,
                                preActivation: &scratch[penultimate], into: &reconstruction[penultimate], backend: backend)
            target[penultimate].addDifference(workspace.activities[penultimate], reconstruction[penultimate])
        }
        for ℓ in stride(from: topTarget == .outputStep ? penultimate : penultimate - 1, through: 0, by: -1) {
            topDown.reconstruct(layer: ℓ, from: target[ℓ + 1], network: network, preActivation: &scratch[ℓ], into: &target[ℓ],
                                backend: backend)
            if difference {
                // ĥⁱ = hⁱ + gᵢ(ĥⁱ⁺¹) − gᵢ(hⁱ⁺¹).
                topDown.reconstruct(layer: ℓ, from: workspace.activities[ℓ + 1], network: network, preActivation: &scratch[ℓ],
                                    into: &reconstruction[ℓ], backend: backend)
                target[ℓ].addDifference(workspace.activities[ℓ], reconstruction[ℓ])
            }
        }
        // δaⁱ = (hⁱ − ĥⁱ) ⊙ fᵢ'(aⁱ) / α (SDTP: not divided).
        let scale = topTarget == .label ? 1 : 1 / targetStep
        for ℓ in 0...penultimate {
            workspace.credits[ℓ].setDifference(workspace.activities[ℓ], target[ℓ], scaledBy: scale)
            network.layers[ℓ].multiplyByDerivative(&workspace.credits[ℓ], preActivation: workspace.preActivations[ℓ],
                                                   activity: workspace.activities[ℓ])
        }
    }

    public mutating func epochWillBegin(_ epoch: Int) { topDownLearnsNow = learnsTopDown(epoch) }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        guard topDownLearnsNow else { return }
        topDown.learn(network: network, workspace: workspace, backend: backend, random: &random)
    }

    public var state: [NamedTensor] {
        get { topDown.state }
        set { topDown.state = newValue }
    }

    /// The top-down weights' columns, and each hidden layer's angle between its target change
    /// `ĥⁱ − hⁱ` and the Gauss–Newton change for the output error (`angle_GN_target1`, …, on 64
    /// probe examples; see `GaussNewtonTargets`).
    public func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        let columns = topDown.probeColumns(network: network, workspace: workspace, backend: backend)
        let top = network.depth - 1
        guard top > 0, target.all.count == network.depth else { return columns }
        var changes = (0..<top).map { ℓ in
            var change = target[ℓ]
            change.add(workspace.activities[ℓ], scaledBy: -1)
            return change
        }
        var outputChange = workspace.credits[top]
        outputChange.scale(by: -1)
        changes.append(outputChange)
        let angles = GaussNewtonTargets.angles(network: network, workspace: workspace, top: top, changes: changes, rows: 64, backend: backend)
        return columns + angles.enumerated().map { .init("angle_GN_target\($0.offset + 1)", $0.element) }
    }

    /// `G_ℓ` stands where `(Wˡ⁺¹)ᵀ` would: compared with it like a feedback matrix.
    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(topDown.weights.map(\.transposed)) }

    /// The targets of the last batch (for tests and diagnostics).
    var targets: [Matrix] { target.all }
}

/// Target propagation's settings (`--rule tp`, `dtp`, `sdtp` or `drl`): the difference correction,
/// where the targets start, the penultimate target's step, and how the top-down weights learn.
public struct TargetPropagationSettings: RuleSettings {
    /// Where the chain of targets starts.
    public enum TopTarget: String, Sendable, Codable, CaseIterable {
        /// A gradient step on the penultimate layer (Lee et al.).
        case gradientStep = "gradient-step"
        /// The label as the output's target (SDTP, Bartunov et al.).
        case label
        /// A gradient step on the output, `ĥᴸ = hᴸ − α e`, sent to the penultimate layer through
        /// learned top-down weights too (Meulemans et al. 2020's DTP and DRL).
        case outputStep = "output-step"
    }

    /// DTP (with the difference correction) or plain TP.
    public var difference: Bool
    /// The gradient step on the penultimate layer (TP, DTP, DRL) or on the output, or the label (SDTP).
    public var topTarget: TopTarget
    /// `α`, the step of the first target (the penultimate layer's, or with the output step the output's).
    public var targetStep: Float
    /// How the top-down weights learn.
    public var topDown: TopDownSettings

    /// DTP with α = 0.1 and the top-down weights' defaults.
    public init(difference: Bool = true, topTarget: TopTarget = .gradientStep, targetStep: Float = 0.1,
                topDown: TopDownSettings = TopDownSettings()) {
        self.difference = difference
        self.topTarget = topTarget
        self.targetStep = targetStep
        self.topDown = topDown
    }

    public init?(argument: String) {
        switch argument.lowercased() {
        case "dtp": self.init(difference: true)
        // TP's targets carry the inverses' reconstruction error, which the credit's 1/α magnifies
        // (the penultimate credit does not depend on α): on the digits (32-16, 4 epochs, seeds
        // 1–3) α = 0.5 does not learn, α = 1 reaches 41–61 %, α = 4 11–14 % (DTP 12–13 %).
        case "tp": self.init(difference: false, targetStep: 4)
        case "sdtp": self.init(difference: true, topTarget: .label)
        // Meulemans et al.'s σ is 0.06 on MNIST; DRL divides by σ², so its noise matters less than
        // in the other reconstruction losses.
        case "drl": self.init(difference: true, topDown: TopDownSettings(noise: 0.06, loss: .difference))
        default: return nil
        }
    }

    private enum CodingKeys: String, CodingKey { case difference, topTarget, targetStep, topDown }

    /// Reads `config.json`; one written before SDTP existed has no `topTarget` and meant the gradient step.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(difference: try container.decode(Bool.self, forKey: .difference),
                  topTarget: try container.decodeIfPresent(TopTarget.self, forKey: .topTarget) ?? .gradientStep,
                  targetStep: try container.decode(Float.self, forKey: .targetStep),
                  topDown: try container.decode(TopDownSettings.self, forKey: .topDown))
    }

    public static let identifier = "target-propagation"
    public static let argumentHelp = "tp, dtp, sdtp, drl"
    /// `tp`, `dtp`, `sdtp`, or `drl` (DTP whose top-down weights learn DRL); another loss than the
    /// name's default is marked (`sdtp+drl`).
    public var description: String {
        let base = topTarget == .label ? "sdtp" : !difference ? "tp" : topDown.loss == .difference ? "drl" : "dtp"
        return topDown.loss == .difference && base != "drl" ? base + "+drl" : base
    }

    public static var options: [RuleOption<Self>] {
        [
            RuleOption(name: "target-step", field: "targetStep", valueName: "alpha",
                       help: "α: the penultimate layer's target is h − α ∂L/∂h (with --top-target output-step the output's, h − α e; "
                           + "default dtp and drl 0.1, tp 4; sdtp has none).") {
                (settings: inout Self, text: String) throws(ConfigurationError) in
                guard settings.topTarget != .label else {
                    throw .invalid(field: "--target-step", value: text, expected: "no target step with sdtp: its top target is the label")
                }
                guard let step = Float(text) else { throw .invalid(field: "--target-step", value: text, expected: "a positive step α") }
                settings.targetStep = step
            },
            RuleOption(name: "top-target", field: "topTarget", valueName: "gradient-step|output-step",
                       help: "Where the chain of targets starts: a gradient step on the penultimate layer (Lee et al., the default) "
                           + "or on the output, sent down through learned top-down weights from there (Meulemans et al.'s DTP and DRL).") {
                (settings: inout Self, text: String) throws(ConfigurationError) in
                guard settings.topTarget != .label else {
                    throw .invalid(field: "--top-target", value: text, expected: "no other top target with sdtp: its top target is the label")
                }
                guard let top = TopTarget(rawValue: text), top != .label else {
                    throw .invalid(field: "--top-target", value: text, expected: "gradient-step or output-step")
                }
                settings.topTarget = top
            },
        ] + TopDownSettings.options(\.topDown, when: "")
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard targetStep > 0, targetStep.isFinite else {
            throw .invalid(field: "rule.targetStep", value: "\(targetStep)", expected: "a positive, finite target step α")
        }
        if topTarget == .label {
            guard difference else {
                throw .invalid(field: "rule.difference", value: "false", expected: "the difference correction with the label as top target (sdtp)")
            }
            guard context.loss != .rectilinear else {
                throw .invalid(field: "loss", value: "rectilinear",
                               expected: "a loss whose output is the target's shape (cross-entropy or squared-error) for sdtp")
            }
        }
        try topDown.validate()
    }

    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool { topDown.forwardWeightsLearn(inEpoch: epoch) }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        // The targets start at the penultimate layer (a gradient step) or at the output (a step there, or the label).
        let chainTop = topTarget == .gradientStep ? network.depth - 2 : network.depth - 1
        return TargetPropagation(difference: difference, topTarget: topTarget, targetStep: targetStep,
                                 topDown: topDown.make(for: network, chainTop: chainTop,
                                                       readsProbabilities: topTarget == .label && loss == .crossEntropy, random: &random),
                                 learnsTopDown: topDown.learnsInEpoch)
    }
}

extension RuleSpec {
    /// Difference target propagation with α = 0.1 and top-down weights learned in parallel.
    public static let differenceTargetPropagation = RuleSpec(TargetPropagationSettings())
}
