/// How learned top-down weights (``LearnedTopDown``) learn: their step, the corruption of
/// their reconstruction loss, and their schedule beside the forward weights. NGRAD with
/// `--backward learned` and the target-propagation rules share it.
public struct TopDownSettings: Sendable, Codable, Equatable {
    /// When the top-down weights learn.
    public enum Schedule: String, Sendable, Codable, CaseIterable {
        /// On every batch, beside the forward weights.
        case parallel
        /// Whole epochs in turn: the top-down weights in one, the forward weights in the next.
        case alternating
    }

    /// What the top-down weights minimise.
    public enum ReconstructionLoss: String, Sendable, Codable, CaseIterable {
        /// `½‖g_ℓ(f_ℓ₊₁(h̃)) − h̃‖²` on a corrupted copy `h̃ = hˡ + σξ` of the layer below: the
        /// corruption is carried through the round trip (Lee et al. 2015's code).
        case noisePreserving = "noise-preserving"
        /// `½‖g_ℓ(f_ℓ₊₁(h̃)) − hˡ‖²`: the clean activity reconstructed from the corrupted one's image,
        /// a de-noising autoencoder (Bartunov et al. 2018, §2.1.2 and §5.1, for DTP and SDTP).
        case denoising
        /// The difference reconstruction loss of Meulemans et al. 2020 (DRL): the corruption's
        /// round trip through every higher layer and back by the difference steps.
        case difference
    }

    /// The step size of the reconstruction loss.
    public var learningRate: Float
    /// `σ`, the corruption of the layer below in the reconstruction loss.
    public var noise: Float
    /// Parallel or alternating.
    public var schedule: Schedule
    /// Epochs at the start that learn only the top-down weights.
    public var pretrainEpochs: Int
    /// The noise-preserving or de-noising loss, or DRL.
    public var loss: ReconstructionLoss
    /// How a step follows the reconstruction loss's gradient: plain SGD, or momentum or Adam with
    /// their own moments (Bartunov et al. and Meulemans et al. train their inverses by Adam,
    /// separate from the forward weights'), at ``learningRate``.
    public var optimizer: OptimizerKind

    /// Step 0.01, noise 0.1, in parallel, without pre-training, noise-preserving, by SGD.
    public init(learningRate: Float = 0.01, noise: Float = 0.1, schedule: Schedule = .parallel, pretrainEpochs: Int = 0,
                loss: ReconstructionLoss = .noisePreserving, optimizer: OptimizerKind = .sgd) {
        self.learningRate = learningRate
        self.noise = noise
        self.schedule = schedule
        self.pretrainEpochs = pretrainEpochs
        self.loss = loss
        self.optimizer = optimizer
    }

    /// The loss is written under `reconstruction`: files written before the de-noising form
    /// existed name it under `loss`, where "denoising" meant the noise-preserving form.
    private enum CodingKeys: String, CodingKey { case learningRate, noise, schedule, pretrainEpochs, reconstruction, loss, optimizer }

    /// What an older `config.json` meant by its `loss`.
    private enum LegacyLoss: String, Decodable {
        case denoising, difference
        var meaning: ReconstructionLoss { self == .difference ? .difference : .noisePreserving }
    }

    /// Reads `config.json`; one written before DRL existed has no loss and meant the
    /// noise-preserving form, one written before the top-down optimizer existed has no
    /// `optimizer` and meant SGD.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let loss = try container.decodeIfPresent(ReconstructionLoss.self, forKey: .reconstruction)
            ?? container.decodeIfPresent(LegacyLoss.self, forKey: .loss)?.meaning ?? .noisePreserving
        self.init(learningRate: try container.decode(Float.self, forKey: .learningRate),
                  noise: try container.decode(Float.self, forKey: .noise),
                  schedule: try container.decode(Schedule.self, forKey: .schedule),
                  pretrainEpochs: try container.decode(Int.self, forKey: .pretrainEpochs),
                  loss: loss,
                  optimizer: try container.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? .sgd)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encode(noise, forKey: .noise)
        try container.encode(schedule, forKey: .schedule)
        try container.encode(pretrainEpochs, forKey: .pretrainEpochs)
        try container.encode(loss, forKey: .reconstruction)
        try container.encode(optimizer, forKey: .optimizer)
    }

    /// Whether the forward weights learn in `epoch` (1-based): not while pre-training, and every
    /// other epoch when alternating.
    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool {
        epoch > pretrainEpochs && (schedule == .parallel || (epoch - pretrainEpochs) % 2 == 0)
    }

    /// Whether the top-down weights learn in `epoch` (1-based).
    public var learnsInEpoch: @Sendable (Int) -> Bool {
        let (pretrain, alternating) = (pretrainEpochs, schedule == .alternating)
        return { epoch in epoch <= pretrain || !alternating || (epoch - pretrain) % 2 == 1 }
    }

    /// Checks every value. Errors name the field under `rule.topDown`.
    public func validate() throws(ConfigurationError) {
        guard learningRate > 0, learningRate.isFinite else {
            throw .invalid(field: "rule.topDown.learningRate", value: "\(learningRate)", expected: "a positive, finite step")
        }
        guard noise >= 0, noise.isFinite else { throw .invalid(field: "rule.topDown.noise", value: "\(noise)", expected: "a noise σ ≥ 0") }
        guard pretrainEpochs >= 0 else {
            throw .invalid(field: "rule.topDown.pretrainEpochs", value: "\(pretrainEpochs)", expected: "a number of epochs ≥ 0")
        }
        if loss == .difference, noise == 0 {
            throw .invalid(field: "rule.topDown.noise", value: "0", expected: "a noise σ > 0 for the difference reconstruction loss (it divides by σ²)")
        }
    }

    /// Top-down weights for `network`, learning as these settings say, for targets that start at
    /// layer `chainTop` (the top of DRL's round trip), reading the output as probabilities if
    /// `readsProbabilities` (SDTP with cross-entropy).
    func make(for network: Network, chainTop: Int, readsProbabilities: Bool = false, random: inout RandomSource) -> LearnedTopDown {
        LearnedTopDown(network: network, learningRate: learningRate, noise: noise, loss: loss, optimizer: optimizer, chainTop: chainTop,
                       readsProbabilities: readsProbabilities, random: &random)
    }

    /// The options that set them, for a rule whose settings hold them at `keyPath`.
    static func options<Settings: RuleSettings>(_ keyPath: WritableKeyPath<Settings, TopDownSettings> & Sendable, when: String)
        -> [RuleOption<Settings>] {
        [
            .value("backward-lr", field: "topDown.learningRate", valueName: "eta",
                   help: "\(when)the top-down weights' step size (default 0.01; with Adam about 10⁻⁴–10⁻³).", expected: "a positive step", parse: Float.init,
                   set: { $0[keyPath: keyPath].learningRate = $1 }),
            .value("backward-noise", field: "topDown.noise", valueName: "sigma",
                   help: "\(when)σ of the corruption in their reconstruction loss (default 0.1).", expected: "σ ≥ 0", parse: Float.init,
                   set: { $0[keyPath: keyPath].noise = $1 }),
            .value("backward-schedule", field: "topDown.schedule", valueName: "parallel|alternating",
                   help: "\(when)every batch beside the forward weights, or whole epochs in turn (default parallel).",
                   expected: "parallel or alternating", parse: Schedule.init(rawValue:), set: { $0[keyPath: keyPath].schedule = $1 }),
            .value("backward-pretrain", field: "topDown.pretrainEpochs", valueName: "epochs",
                   help: "\(when)epochs at the start that learn only the top-down weights (default 0).",
                   expected: "a number of epochs ≥ 0", parse: Int.init, set: { $0[keyPath: keyPath].pretrainEpochs = $1 }),
            .value("backward-loss", field: "topDown.loss", valueName: "noise-preserving|denoising|difference",
                   help: "\(when)what they minimise: the reconstruction of a corrupted copy of the layer below (noise-preserving, "
                       + "Lee et al.) or of the clean layer from the corrupted one (denoising, Bartunov et al.), or the difference "
                       + "reconstruction loss (DRL, Meulemans et al. 2020) through every higher layer (default noise-preserving).",
                   expected: "noise-preserving, denoising or difference", parse: ReconstructionLoss.init(rawValue:),
                   set: { $0[keyPath: keyPath].loss = $1 }),
            .value("backward-optimizer", field: "topDown.optimizer", valueName: "sgd|momentum|adam",
                   help: "\(when)how the top-down weights step: plain SGD, or momentum or Adam with their own moments "
                       + "(default sgd; momentum 0.9; Adam's β₁ 0.9, β₂ 0.999).",
                   expected: "sgd, momentum or adam", parse: OptimizerKind.init(rawValue:), set: { $0[keyPath: keyPath].optimizer = $1 }),
        ]
    }
}
