/// The settings of feedback learned by node perturbation (`--rule np`; options `--noise`,
/// `--feedback-lr`, `--feedback-solver`, `--ridge`, `--feedback-warmup`, `--noise-probability`,
/// `--feedback`).
public struct NodePerturbationSettings: RuleSettings {
    /// How `B` is fitted to the perturbation estimates.
    public enum Solver: String, Sendable, Codable, CaseIterable {
        /// SGD on the least-squares objective, one step per batch.
        case sgd
        /// The exact ridge solution over every batch so far, `B = (Σ λ̂ ẽᵀ)(Σ ẽ ẽᵀ + γI)⁻¹`.
        case exact
    }

    /// `c_h`, the standard deviation of the noise added to every hidden activity.
    public var noise: Float
    /// The step size of the SGD solver (the gradient is averaged over the batch).
    public var feedbackLearningRate: Float
    /// SGD on every batch, or the exact ridge solution.
    public var solver: Solver
    /// γ, the ridge the exact solver's sums start from.
    public var ridge: Float
    /// Epochs at the start that learn only the feedback (the forward weights stay put).
    public var warmupEpochs: Int
    /// The chance that a unit is perturbed on a pass (1: every unit; the authors' RNN used 0.1).
    public var noiseProbability: Float

    /// How the SGD solver's initial feedback is drawn (the exact solver starts from `B = 0`).
    public var feedback: FeedbackFamily

    /// The rule's settings; every value has a working default.
    public init(noise: Float = 0.01, feedbackLearningRate: Float = 0.01, solver: Solver = .sgd, ridge: Float = 0.1,
                warmupEpochs: Int = 0, noiseProbability: Float = 1, feedback: FeedbackFamily = .xavier) {
        self.feedback = feedback
        self.noise = noise
        self.feedbackLearningRate = feedbackLearningRate
        self.solver = solver
        self.ridge = ridge
        self.warmupEpochs = warmupEpochs
        self.noiseProbability = noiseProbability
    }

    public init?(argument: String) {
        guard ["np", "node-perturbation"].contains(argument.lowercased()) else { return nil }
        self.init()
    }

    public static let identifier = "np"
    public static let argumentHelp = "np"
    public var description: String { "np" }

    public static var options: [RuleOption<Self>] {
        [
            .value("noise", \.noise, valueName: "c", help: "The noise level c_h added to every hidden activity (default 0.01).",
                   expected: "a positive noise level c_h (e.g. 0.01)", parse: Float.init),
            .value("feedback-lr", \.feedbackLearningRate, field: "feedbackLearningRate", valueName: "eta", help: "The SGD step size of the feedback weights (default 0.01).",
                   expected: "a feedback learning rate ≥ 0", parse: Float.init),
            .value("feedback-solver", \.solver, field: "solver", valueName: "sgd|exact",
                   help: "Learn B by sgd, or by the exact ridge solution over the run (default sgd).", expected: "sgd or exact",
                   parse: Solver.init(rawValue:)),
            .value("ridge", \.ridge, valueName: "gamma", help: "Exact solver: the ridge γ the sums start from (default 0.1).",
                   expected: "a ridge γ ≥ 0 (e.g. 0.1)", parse: Float.init),
            .value("feedback-warmup", \.warmupEpochs, field: "warmupEpochs", valueName: "epochs",
                   help: "Epochs at the start that learn only the feedback (default 0).", expected: "a number of epochs ≥ 0", parse: Int.init),
            .value("noise-probability", \.noiseProbability, field: "noiseProbability", valueName: "p",
                   help: "The chance each unit is perturbed on a pass (default 1).", expected: "a probability in (0, 1]", parse: Float.init),
            .feedbackFamily(\.feedback, help: "How the SGD solver's initial feedback is drawn: \(FeedbackFamily.helpText) (default xavier: like the forward weight it stands for)."),
        ]
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        try validate()
        return NodePerturbation(settings: self, network: network, loss: loss, family: feedback, random: &random)
    }

    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool { epoch > warmupEpochs }

    public func validate(_ context: RuleContext) throws(ConfigurationError) { try validate() }

    /// Draws the perturbation `ξ` of `count` units into `target`: `N(0, 1)` for each, then each
    /// unit kept with probability `noiseProbability` (zero otherwise). Feed-forward and recurrent
    /// node perturbation draw the same way, in the same order.
    public func drawNoise(into target: UnsafeMutableBufferPointer<Float>, random: inout RandomSource) {
        random.fillStandardNormal(target.baseAddress!, count: target.count)
        if noiseProbability < 1 {
            for i in target.indices where random.nextUnitFloat() >= noiseProbability { target[i] = 0 }
        }
    }

    /// Checks the values that need no model. Errors name the field (`rule.noise`).
    public func validate() throws(ConfigurationError) {
        guard noise > 0, noise.isFinite else {
            throw .invalid(field: "rule.noise", value: "\(noise)", expected: "a positive noise level c_h (e.g. 0.01)")
        }
        guard feedbackLearningRate >= 0, feedbackLearningRate.isFinite else {
            throw .invalid(field: "rule.feedbackLearningRate", value: "\(feedbackLearningRate)", expected: "a feedback learning rate ≥ 0")
        }
        guard ridge >= 0, ridge.isFinite else {
            throw .invalid(field: "rule.ridge", value: "\(ridge)", expected: "a ridge γ ≥ 0 (e.g. 0.1)")
        }
        guard warmupEpochs >= 0 else {
            throw .invalid(field: "rule.warmupEpochs", value: "\(warmupEpochs)", expected: "a number of epochs ≥ 0")
        }
        guard noiseProbability > 0, noiseProbability <= 1 else {
            throw .invalid(field: "rule.noiseProbability", value: "\(noiseProbability)", expected: "a probability in (0, 1]")
        }
    }
}

extension RuleSpec {
    /// Node perturbation with default settings.
    public static let nodePerturbation = RuleSpec(NodePerturbationSettings())
}
