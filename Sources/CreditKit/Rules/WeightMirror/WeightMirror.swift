/// Weight mirrors (Akrout et al. 2019, "Deep learning without weight transport"): the feedback
/// learns the forward weights' transpose from noise, in a mirror phase after every step.
///
/// Credits travel layer by layer as in FA, `δaⁱ = (Bⁱ⁺¹ δaⁱ⁺¹) ⊙ fᵢ'(aⁱ)`, through learned `B`. In the
/// mirror phase each layer i−1 is driven by noise alone, `x ~ N(0, I)` (its other drive silent),
/// layer i responds linearly, `y = Wⁱx`, and every feedback synapse moves by the product of the
/// activities it joins: `ΔBⁱ = η_B (x yᵀ − Bⁱ)`. Since `E[x yᵀ] = E[x xᵀ](Wⁱ)ᵀ = (Wⁱ)ᵀ`, `B`
/// tracks `Wᵀ` as a running average over mirror samples; the `−η_B B` term is the decay that
/// makes the average forget old weights (the decay λ of the paper, here λ = η_B so that
/// `B → Wᵀ` exactly; a noise scale σ would cancel in `x yᵀ / σ²` and is left out). One mirror
/// step per training step uses `samples` noise vectors at once: `Bᵀ ← (1 − η_B)Bᵀ + η_B Yᵀ X / n`.
public struct WeightMirrorLearner: FeedbackPathLearner {
    /// The settings it was made with.
    public let settings: WeightMirrorSettings
    // Mirror-phase scratch, allocated once per path: the noise X `(n, inputs)` and the response Y `(n, outputs)`.
    private var noise: [Matrix] = []
    private var response: [Matrix] = []

    /// A learner with `settings`.
    public init(settings: WeightMirrorSettings) {
        self.settings = settings
    }

    /// The mirror phase, on the weights the batch was trained with.
    public mutating func learn<Model: FeedbackPathModel>(_ feedback: inout [Matrix], model: Model, backend: LinearAlgebraBackend,
                                                         random: inout RandomSource) {
        let n = settings.samples
        if noise.count != feedback.count {
            noise = feedback.indices.map { Matrix(rows: n, columns: model.pathWeights($0).columns) }
            response = feedback.indices.map { Matrix(rows: n, columns: model.pathWeights($0).rows) }
        }
        let rate = settings.mirrorLearningRate
        for i in feedback.indices {
            let count = noise[i].count
            noise[i].storage.withUnsafeMutableBufferPointer { random.fillStandardNormal($0.baseAddress!, count: count) }
            backend.gemm(noise[i], .none, model.pathWeights(i), .transposed, into: &response[i])   // Y = X Wᵀ
            backend.gemm(response[i], .transposed, noise[i], .none, into: &feedback[i], alpha: rate / Float(n), beta: 1 - rate)
        }
    }
}

/// Weight mirrors on a feed-forward network.
public typealias WeightMirror = PathFeedbackRule<WeightMirrorLearner>

/// Weight mirrors' settings (`--rule wm`).
public struct WeightMirrorSettings: PathRuleSettings {
    /// η_B, the mirror phase's step (and decay) per training step.
    public var mirrorLearningRate: Float
    /// Noise vectors per mirror phase.
    public var samples: Int
    /// How the initial feedback is drawn.
    public var feedback: FeedbackFamily

    /// The defaults: η_B = 0.002 averages over ~500 steps of 128 samples, which estimates a
    /// 500-wide layer's `Wᵀ` to a relative error of about 0.06; the initial feedback is drawn like
    /// the forward weights.
    public init(mirrorLearningRate: Float = 0.002, samples: Int = 128, feedback: FeedbackFamily = .xavier) {
        self.mirrorLearningRate = mirrorLearningRate
        self.samples = samples
        self.feedback = feedback
    }

    public init?(argument: String) {
        guard ["wm", "weight-mirror"].contains(argument.lowercased()) else { return nil }
        self.init()
    }

    public static let identifier = "wm"
    public static let argumentHelp = "wm"
    public var description: String { "wm" }

    public static var options: [RuleOption<Self>] {
        [
            .value("mirror-lr", \.mirrorLearningRate, field: "mirrorLearningRate", valueName: "eta",
                   help: "The mirror phase's step η_B: B ← (1 − η_B)B + η_B x yᵀ per training step (default 0.002).",
                   expected: "a mirror step in (0, 1]", parse: Float.init),
            .value("mirror-samples", \.samples, field: "samples", valueName: "N", help: "Noise vectors per mirror phase (default 128).",
                   expected: "a positive number of samples", parse: Int.init),
            .feedbackFamily(\.feedback, help: "How the initial feedback is drawn: \(FeedbackFamily.helpText) (default xavier)."),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard mirrorLearningRate > 0, mirrorLearningRate <= 1 else {
            throw .invalid(field: "rule.mirrorLearningRate", value: "\(mirrorLearningRate)", expected: "a mirror step in (0, 1]")
        }
        guard samples > 0 else { throw .invalid(field: "rule.samples", value: "\(samples)", expected: "a positive number of samples") }
    }

    public func makeLearner<Model: FeedbackPathModel>(for model: Model) -> WeightMirrorLearner { WeightMirrorLearner(settings: self) }
}

extension RuleSpec {
    /// Weight mirrors with the default mirror step and samples.
    public static let weightMirror = RuleSpec(WeightMirrorSettings())
}
