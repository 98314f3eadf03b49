/// The NGRAD rule of "Backpropagation and the brain" (Lillicrap et al. 2020, appendix,
/// Supplementary Figure 1): errors carried as differences of activity.
///
/// After the forward pass the output is nudged towards the target, `Δhᴸ = −η e`; the nudge travels
/// down through the top-down connections (here the forward weights' transposes, the caption's
/// symmetric weights), and each layer's change of activity is the difference around its forward
/// pre-activation,
///
///     Δhⁱ = fᵢ(aⁱ + (Wⁱ⁺¹)ᵀ Δhⁱ⁺¹) − fᵢ(aⁱ),
///
/// never `fᵢ((Wⁱ⁺¹)ᵀ ĥⁱ⁺¹)` (`Wᵀ` is no inverse). Every synapse then learns presynaptic activity ×
/// change of postsynaptic activity: the credit is `δaⁱ = −Δhⁱ/η`, and the shared local update
/// applies it. To first order `Δhⁱ = −η δaⁱ_BP`, so the credit equals backprop's with an error of
/// O(η); the symmetric nudge (`±η`, a central difference) makes it O(η²).
public struct ActivityDifference: LearningRule {
    /// `η`, the size of the output nudge.
    public let nudge: Float
    /// Nudge by `+η` and `−η` and take the central difference.
    public let symmetric: Bool
    /// Learned top-down weights in place of the forward weights' transposes (`nil`: transposes).
    public internal(set) var topDown: LearnedTopDown?
    /// With learned top-down weights: whether the penultimate layer's change still comes through the
    /// output weights' transpose (DTP's convention), the learned weights taking over below it.
    public let penultimateThroughTranspose: Bool
    /// With learned top-down weights: whether a layer's change is taken around its own forward
    /// pre-activation, `fₗ(aˡ + GₗΔhˡ⁺¹) − fₗ(aˡ)` (`Gₗ` in `(Wˡ⁺¹)ᵀ`'s place), rather than as the
    /// difference of two reconstructions.
    public let changeAroundForward: Bool
    /// The schedule of the top-down weights' learning: which epochs learn them.
    let learnsTopDown: @Sendable (Int) -> Bool
    /// Whether the top-down weights learn in the current epoch.
    private var topDownLearnsNow = true
    /// Per layer: the nudged pre-activation `aⁱ + (Wⁱ⁺¹)ᵀ Δhⁱ⁺¹`, then its activity.
    private var shifted = LayerScratch(), nudgedActivity = LayerScratch()
    /// Per layer `Δhⁱ` of the nudge in progress (the top one `Δhᴸ`).
    private var change = LayerScratch()
    /// Per layer the learned top-down shift `Gₗ Δhˡ⁺¹` of the reconstruction's pre-activation.
    private var topDownShift = LayerScratch()

    /// The rule with output nudge `nudge` (one-sided, or symmetric), sending it down through the
    /// forward weights' transposes, or through `topDown` learned in the epochs `learnsTopDown` says
    /// (below the penultimate layer only, if `penultimateThroughTranspose`; around each layer's
    /// forward pre-activation if `changeAroundForward`).
    public init(nudge: Float, symmetric: Bool, topDown: LearnedTopDown? = nil, penultimateThroughTranspose: Bool = false,
                changeAroundForward: Bool = false, learnsTopDown: @escaping @Sendable (Int) -> Bool = { _ in true }) {
        self.nudge = nudge
        self.symmetric = symmetric
        self.topDown = topDown
        self.penultimateThroughTranspose = penultimateThroughTranspose
        self.changeAroundForward = changeAroundForward
        self.learnsTopDown = learnsTopDown
    }

    public var name: String { "ngrad" }

    public mutating func epochWillBegin(_ epoch: Int) { topDownLearnsNow = learnsTopDown(epoch) }

    public mutating func learnFeedback(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        guard topDownLearnsNow else { return }
        topDown?.learn(network: network, workspace: workspace, backend: backend, random: &random)
    }

    public var state: [NamedTensor] {
        get { topDown?.state ?? [] }
        set { topDown?.state = newValue }
    }

    public func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        topDown?.probeColumns(network: network, workspace: workspace, backend: backend) ?? []
    }

    /// `G_ℓ` stands where `(Wˡ⁺¹)ᵀ` would: compared with it like a feedback matrix.
    public var feedbackPairs: [FeedbackPair] {
        topDown.map { LayerwiseFeedback.pairs($0.weights.map(\.transposed)) } ?? []
    }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        change.fit(workspace)
        shifted.fit(workspace)
        nudgedActivity.fit(workspace)
        if topDown != nil { topDownShift.fit(workspace) }
        let top = network.depth - 1
        if symmetric {
            // δaⁱ = −(Δhⁱ₊ − Δhⁱ₋)/(2η): the +η pass writes −Δhⁱ₊/(2η), the −η pass adds Δhⁱ₋/(2η).
            propagate(nudge: nudge, network: network, workspace: workspace, backend: backend, random: &random)
            for ℓ in 0..<top { workspace.credits[ℓ].copyElements(from: change[ℓ], scaledBy: -1 / (2 * nudge)) }
            propagate(nudge: -nudge, network: network, workspace: workspace, backend: backend, random: &random)
            for ℓ in 0..<top { workspace.credits[ℓ].add(change[ℓ], scaledBy: 1 / (2 * nudge)) }
        } else {
            propagate(nudge: nudge, network: network, workspace: workspace, backend: backend, random: &random)
            for ℓ in 0..<top { workspace.credits[ℓ].copyElements(from: change[ℓ], scaledBy: -1 / nudge) }
        }
    }

    /// `Δhᴸ = −η e`, then `Δhⁱ = fᵢ(aⁱ + Δhⁱ⁺¹ Wⁱ⁺¹) − hⁱ` down to the first hidden layer (rows are
    /// examples, so `(Wⁱ⁺¹)ᵀ Δhⁱ⁺¹` is the product `Δhⁱ⁺¹ · Wⁱ⁺¹`). The shift `δ = Δhⁱ⁺¹ Wⁱ⁺¹` is
    /// kept apart from `aⁱ` and the change taken by ``Activation/change(preActivation:activity:shift:into:positiveUnits:)``:
    /// late in training `η e` is so small that `aⁱ + δ` rounds to `aⁱ` and `fᵢ(aⁱ + δ) − hⁱ` to 0 or
    /// one unit of the last place (measured on bartunov-mnist: the credit's angle to backprop's
    /// drifted from 0.3° to 90° over 60 epochs). In a spiking network `hⁱ` is the forward pass's
    /// spike count and the nudged activity spikes too: the change is the **derivative filter**,
    /// count after the nudge minus count before (over r·T); under dropout the change keeps the
    /// forward pass's mask.
    private mutating func propagate(nudge η: Float, network: Network, workspace: Workspace, backend: LinearAlgebraBackend,
                                    random: inout RandomSource) {
        let top = network.depth - 1
        change[top].copyElements(from: workspace.credits[top], scaledBy: -η)
        for ℓ in stride(from: top - 1, through: 0, by: -1) {
            // The learned weights carry the change into layer ℓ, unless the top step goes through the transpose.
            let learned = penultimateThroughTranspose && ℓ == top - 1 ? nil : topDown
            if let learned, !changeAroundForward {
                // The difference of two reconstructions, gₗ(hˡ⁺¹ + Δhˡ⁺¹) − gₗ(hˡ⁺¹), with shift Gₗ Δhˡ⁺¹.
                learned.reconstruct(layer: ℓ, from: workspace.activities[ℓ + 1], network: network, preActivation: &shifted[ℓ],
                                    into: &nudgedActivity[ℓ], backend: backend)
                backend.gemm(change[ℓ + 1], .none, learned.weights[ℓ], .transposed, into: &topDownShift[ℓ])
                let layer = network.layers[ℓ]
                layer.activation.change(preActivation: shifted[ℓ], activity: nudgedActivity[ℓ], shift: topDownShift[ℓ],
                                        into: &change[ℓ], positiveUnits: layer.positiveUnits)
                continue
            }
            // The shift of the unit's own drive: GₗΔhˡ⁺¹, or (Wˡ⁺¹)ᵀΔhˡ⁺¹ (as rows: Δhˡ⁺¹ Wˡ⁺¹).
            if let learned {
                backend.gemm(change[ℓ + 1], .none, learned.weights[ℓ], .transposed, into: &shifted[ℓ])
            } else {
                backend.gemm(change[ℓ + 1], .none, network.layers[ℓ + 1].weights, .none, into: &shifted[ℓ])
            }
            changeAroundOwnDrive(of: ℓ, network: network, workspace: workspace, random: &random)
        }
    }

    /// `Δhˡ = f_ℓ(aˡ + δ) − hˡ` for the top-down shift `δ` already in `shifted[ℓ]`: layer ℓ's change
    /// around its forward pre-activation (through the transposes, `δ = (Wˡ⁺¹)ᵀΔhˡ⁺¹`).
    private mutating func changeAroundOwnDrive(of ℓ: Int, network: Network, workspace: Workspace, random: inout RandomSource) {
        let layer = network.layers[ℓ]
        guard let noise = layer.noise else {
            layer.activation.change(preActivation: workspace.preActivations[ℓ], activity: workspace.activities[ℓ], shift: shifted[ℓ],
                                    into: &change[ℓ], positiveUnits: layer.positiveUnits)
            return
        }
        if noise.kind == .dropout {
            // The rate f(aⁱ) (the forward activity carries the mask), then the forward pass's mask
            // where it had one (training); a noiseless pass (the probe) has none.
            layer.activate(workspace.preActivations[ℓ], into: &nudgedActivity[ℓ])
            layer.activation.change(preActivation: workspace.preActivations[ℓ], activity: nudgedActivity[ℓ], shift: shifted[ℓ],
                                    into: &change[ℓ], positiveUnits: layer.positiveUnits)
            if workspace.hasNoisyActivities {
                Self.keepMask(&change[ℓ], of: workspace.activities[ℓ], scale: 1 / (1 - noise.dropProbability))
            }
        } else {
            shifted[ℓ].add(workspace.preActivations[ℓ], scaledBy: 1)
            layer.activate(shifted[ℓ], into: &nudgedActivity[ℓ])
            noise.apply(to: &nudgedActivity[ℓ], random: &random)
            change[ℓ].setDifference(nudgedActivity[ℓ], workspace.activities[ℓ])
        }
    }

    /// `activity ← activity · scale` where `forward` kept the unit, 0 where dropout silenced it.
    private static func keepMask(_ activity: inout Matrix, of forward: Matrix, scale: Float) {
        let count = activity.rows * activity.columns
        activity.storage.withUnsafeMutableBufferPointer { h in
            forward.storage.withUnsafeBufferPointer { f in
                for k in 0..<count { h[k] = f[k] == 0 ? 0 : h[k] * scale }
            }
        }
    }
}

/// NGRAD's settings (`--rule ngrad`): the nudge, whether it is symmetric, and what carries it down.
public struct ActivityDifferenceSettings: RuleSettings {
    /// How the output is nudged: by `−η e` alone, or by `∓η e` with the central difference.
    public enum NudgeMode: String, Sendable, Codable, CaseIterable {
        case oneSided = "one-sided", symmetric
    }

    /// What carries the change down.
    public enum Backward: String, Sendable, Codable, CaseIterable {
        /// The forward weights' transposes (the caption's symmetric weights).
        case transpose
        /// Top-down weights learned as autoencoders of the layer below.
        case learned
    }

    /// How the output's change reaches the penultimate layer when the top-down weights are learned.
    public enum TopStep: String, Sendable, Codable, CaseIterable {
        /// Through learned top-down weights, like every other layer's.
        case learned
        /// Through the output weights' transpose, as difference target propagation's gradient step
        /// on the penultimate layer (Lee et al. 2015; Bartunov et al. 2018): a reconstruction of a
        /// wide layer from the few output units is a poor carrier of the output's error.
        case transpose
    }

    /// How learned top-down weights turn the change above into a layer's change.
    public enum LearnedChange: String, Sendable, Codable, CaseIterable {
        /// The difference of two reconstructions, `gₗ(hˡ⁺¹ + Δhˡ⁺¹) − gₗ(hˡ⁺¹)`: difference target
        /// propagation's correction, the slope taken where the reconstruction puts the unit.
        case reconstructions
        /// `fₗ(aˡ + GₗΔhˡ⁺¹) − fₗ(aˡ)`: the transposes' rule with `Gₗ` in `(Wˡ⁺¹)ᵀ`'s place. The top-down
        /// drive moves the unit from its own forward operating point, which is where the
        /// reconstruction would put it if it were perfect (the appendix's "perfect autoencoder").
        case aroundForward = "around-forward"
    }

    /// `η`, the size of the output nudge.
    public var nudge: Float
    /// One-sided or symmetric.
    public var nudgeMode: NudgeMode
    /// Transposes or learned top-down weights.
    public var backward: Backward
    /// With learned top-down weights, the penultimate layer's step.
    public var topStep: TopStep
    /// With learned top-down weights, how a layer's change is formed.
    public var learnedChange: LearnedChange
    /// How learned top-down weights learn.
    public var topDown: TopDownSettings

    /// The defaults: `η = 10⁻³`, one-sided — the credit is backprop's to about 0.1 %, however small
    /// the output error (the changes of activity are taken without cancellation) — through the transposes.
    public init(nudge: Float = 1e-3, nudgeMode: NudgeMode = .oneSided, backward: Backward = .transpose, topStep: TopStep = .learned,
                learnedChange: LearnedChange = .reconstructions, topDown: TopDownSettings = TopDownSettings()) {
        self.nudge = nudge
        self.nudgeMode = nudgeMode
        self.backward = backward
        self.topStep = topStep
        self.learnedChange = learnedChange
        self.topDown = topDown
    }

    private enum CodingKeys: String, CodingKey { case nudge, nudgeMode, backward, topStep, learnedChange, topDown }

    /// Reads `config.json`; one written before the top step or the learned change could be chosen
    /// has neither and meant the learned top step and the difference of reconstructions.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(nudge: try container.decode(Float.self, forKey: .nudge),
                  nudgeMode: try container.decode(NudgeMode.self, forKey: .nudgeMode),
                  backward: try container.decode(Backward.self, forKey: .backward),
                  topStep: try container.decodeIfPresent(TopStep.self, forKey: .topStep) ?? .learned,
                  learnedChange: try container.decodeIfPresent(LearnedChange.self, forKey: .learnedChange) ?? .reconstructions,
                  topDown: try container.decode(TopDownSettings.self, forKey: .topDown))
    }

    public init?(argument: String) {
        guard ["ngrad", "activity-difference"].contains(argument.lowercased()) else { return nil }
        self.init()
    }

    public static let identifier = "ngrad"
    public static let argumentHelp = "ngrad"
    public var description: String { "ngrad" }

    public static var options: [RuleOption<Self>] {
        [
            .value("nudge", \.nudge, valueName: "eta", help: "η: the output is nudged by −η e, and the credit is −Δh/η (default 0.001).",
                   expected: "a positive nudge η", parse: Float.init),
            .value("nudge-mode", \.nudgeMode, field: "nudgeMode", valueName: "one-sided|symmetric",
                   help: "one-sided (error O(η)) or symmetric: ±η and the central difference (error O(η²)); default one-sided.",
                   expected: "one-sided or symmetric", parse: NudgeMode.init(rawValue:)),
            .value("backward", \.backward, valueName: "transpose|learned",
                   help: "What carries the change down: the forward weights' transposes, or top-down weights learned as "
                       + "autoencoders of the layer below (--top-step and --learned-change say how they carry it); default transpose.",
                   expected: "transpose or learned", parse: Backward.init(rawValue:)),
            .value("top-step", \.topStep, field: "topStep", valueName: "learned|transpose",
                   help: "With --backward learned: how the output's change reaches the penultimate layer: through learned "
                       + "top-down weights like the other layers (default), or through the output weights' transpose, as DTP's "
                       + "gradient step on the penultimate layer.",
                   expected: "learned or transpose", parse: TopStep.init(rawValue:)),
            .value("learned-change", \.learnedChange, field: "learnedChange", valueName: "reconstructions|around-forward",
                   help: "With --backward learned: a layer's change as the difference of two reconstructions, "
                       + "g(h + Δh) − g(h) (DTP's correction; default), or around the unit's own forward pre-activation, "
                       + "f(a + G Δh) − f(a), as the transposes do with G in Wᵀ's place.",
                   expected: "reconstructions or around-forward", parse: LearnedChange.init(rawValue:)),
        ] + TopDownSettings.options(\.topDown, when: "With --backward learned: ")
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard nudge > 0, nudge.isFinite else { throw .invalid(field: "rule.nudge", value: "\(nudge)", expected: "a positive, finite nudge η") }
        try topDown.validate()
        if backward == .transpose, topDown != TopDownSettings() || topStep != .learned || learnedChange != .reconstructions {
            throw .invalid(field: "rule.backward", value: "transpose",
                           expected: "--backward learned for the top-down weights' options (transposes learn nothing)")
        }
    }

    /// Forward weights rest while only the top-down weights learn: pre-training, and every other
    /// epoch when alternating.
    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool {
        backward == .transpose || topDown.forwardWeightsLearn(inEpoch: epoch)
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        guard backward == .learned else { return ActivityDifference(nudge: nudge, symmetric: nudgeMode == .symmetric) }
        return ActivityDifference(nudge: nudge, symmetric: nudgeMode == .symmetric, topDown: topDown.make(for: network, chainTop: network.depth - 1, random: &random),
                                  penultimateThroughTranspose: topStep == .transpose, changeAroundForward: learnedChange == .aroundForward,
                                  learnsTopDown: topDown.learnsInEpoch)
    }
}

extension RuleSpec {
    /// NGRAD with a one-sided nudge of 10⁻³ through the forward weights' transposes.
    public static let activityDifference = RuleSpec(ActivityDifferenceSettings())
}
