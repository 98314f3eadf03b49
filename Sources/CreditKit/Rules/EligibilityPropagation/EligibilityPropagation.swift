/// E-prop (Bellec et al. 2020) for the recurrent network: every synapse keeps an eligibility
/// trace of what it did, and a learning signal `Lₜ = B eₜ` broadcast from the output tells it,
/// online, how that mattered — nothing is sent back in time. For the vanilla tanh units of
/// ``RecurrentNetwork`` a unit's state is its own output, so the traces have no memory:
/// `ε_rec,ₜ = (1 − hₜ²) hₜ₋₁ᵀ`, `ε_in,ₜ = (1 − hₜ²) xₜᵀ`, and
///
///     ΔW_rec = −η Σₜ (Lₜ ⊙ (1 − hₜ²)) hₜ₋₁ᵀ,
///
/// BPTT with the gradient stopped through `hₜ₋₁` in the recurrence. `B = W_outᵀ` (symmetric
/// e-prop) or a fixed random matrix drawn like it (random e-prop). The weights change after every
/// `--bptt-steps` steps (the window is only the update's period here).
public struct EligibilityPropagationSettings: RuleSettings {
    /// Where the learning signal comes from.
    public enum LearningSignal: String, Sendable, Codable, CaseIterable {
        /// `B = W_outᵀ`.
        case symmetric
        /// A fixed random `B`.
        case random
    }

    /// Symmetric or random e-prop.
    public var learningSignal: LearningSignal

    /// Symmetric e-prop (`eprop`) or random (`eprop-random`).
    public init(learningSignal: LearningSignal = .symmetric) {
        self.learningSignal = learningSignal
    }

    public init?(argument: String) {
        switch argument.lowercased() {
        case "eprop": self.init()
        case "eprop-random": self.init(learningSignal: .random)
        default: return nil
        }
    }

    public static let identifier = "eprop"
    public static let argumentHelp = "eprop, eprop-random (recurrent networks)"
    public var description: String { learningSignal == .symmetric ? "eprop" : "eprop-random" }

    /// E-prop assigns credit through time only: a feed-forward network has no eligibility to trace.
    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        throw .invalid(field: "rule", value: description, expected: "a recurrent network for e-prop (credit train-rnn)")
    }
}
