/// The "matching" rule (Rombouts et al. 2015; Martinolli et al. 2018): feedback `Bⁱ⁺¹` starts
/// random and then receives every change the optimizer makes to `(Wⁱ⁺¹)ᵀ`, so `B − Wᵀ` stays at
/// its initial value while both grow with learning — transport without symmetric initialization.
public struct MatchingFeedback: LearningRule {
    var feedback: [Matrix]
    var previousWeights: [Matrix]

    public var name: String { "matching" }

    public init(network: Network, family: FeedbackFamily, random: inout RandomSource) {
        previousWeights = network.layers.dropFirst().map(\.weights)
        feedback = previousWeights.map { w in family.transposedMatrix(sources: w.rows, targets: w.columns, random: &random) }
    }

    /// `B2…` (stored shaped like `Wⁱ`) and the forward weights they last followed, `previousW2…`.
    public var state: [NamedTensor] {
        get { LayerwiseFeedback.named(feedback, "B") + LayerwiseFeedback.named(previousWeights, "previousW") }
        set {
            LayerwiseFeedback.restore(&feedback, "B", from: newValue)
            LayerwiseFeedback.restore(&previousWeights, "previousW", from: newValue)
        }
    }

    public var feedbackPairs: [FeedbackPair] { LayerwiseFeedback.pairs(feedback) }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        LayerwiseFeedback.assignCredit(through: feedback, network: network, workspace: &workspace, backend: backend)
    }

    public mutating func forwardWeightsDidChange(_ network: inout Network) {
        for ℓ in feedback.indices {
            let weights = network.layers[ℓ + 1].weights
            feedback[ℓ].storage.withUnsafeMutableBufferPointer { b in
                previousWeights[ℓ].storage.withUnsafeMutableBufferPointer { previous in
                    weights.storage.withUnsafeBufferPointer { w in
                        for i in 0..<weights.count {
                            b[i] += w[i] - previous[i]
                            previous[i] = w[i]
                        }
                    }
                }
            }
        }
    }
}

/// The matching rule's settings (`--rule matching`): how the initial feedback is drawn.
public struct MatchingSettings: RuleSettings {
    public var feedback: FeedbackFamily

    public init(feedback: FeedbackFamily = .uniform(0.5)) { self.feedback = feedback }

    public init?(argument: String) {
        guard argument.lowercased() == "matching" else { return nil }
        self.init()
    }

    public static let identifier = "matching"
    public static let argumentHelp = "matching"
    public var description: String { "matching" }

    public static var options: [RuleOption<Self>] {
        [.feedbackFamily(\.feedback, help: "How the initial feedback is drawn: \(FeedbackFamily.helpText) (default uniform:0.5).")]
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        MatchingFeedback(network: network, family: feedback, random: &random)
    }
}

extension RuleSpec {
    /// The matching rule with `Unif(−½, ½)` initial feedback.
    public static let matching = RuleSpec(MatchingSettings())
}
