/// The settings of the settling networks' contrastive rules (`--rule eqprop`, `chl`, `generec`):
/// which two phases are contrasted, their lengths and step, the nudge, and per-layer rates.
///
/// The defaults are Scellier & Bengio's code for 784-500-10: T₁ 20 free steps, T₂ 4 nudged, ε 0.5,
/// β 0.5 with a random sign per batch. The network must be built of hard-sigmoid units
/// (`--activation hard-sigmoid --output-activation hard-sigmoid`) and learn the squared error;
/// its input is clamped as given (MNIST's raw pixels lie in [0, 1], like the states).
public struct SettlingSettings: RuleSettings {
    /// Which phases are contrasted.
    public enum Contrast: String, Sendable, Codable, CaseIterable {
        /// Equilibrium propagation: the output nudged by β.
        case equilibriumPropagation = "eqprop"
        /// Contrastive Hebbian learning: the output clamped to the target.
        case contrastiveHebbian = "chl"
        /// GeneRec: CHL's phases, presynaptic activity of the free phase only.
        case geneRec = "generec"
    }

    /// Whether β's sign is drawn per batch (Scellier's code) or always positive.
    public enum BetaSign: String, Sendable, Codable, CaseIterable {
        case random, positive
    }

    /// One nudged phase, or two with ±β and the central difference (symmetric EP).
    public enum NudgeMode: String, Sendable, Codable, CaseIterable {
        case oneSided = "one-sided", symmetric
    }

    /// EP, CHL or GeneRec.
    public var contrast: Contrast
    /// `β`, the nudge's size (EP).
    public var beta: Float
    /// Random or positive sign of β.
    public var betaSign: BetaSign
    /// One-sided or symmetric EP.
    public var nudgeMode: NudgeMode
    /// T₁, the free phase's steps.
    public var freeSteps: Int
    /// T₂, the nudged (or clamped) phase's steps.
    public var nudgedSteps: Int
    /// ε, the relaxation's step (1: the discrete-time form).
    public var stepSize: Float
    /// A factor on the learning rate per weight layer, input side first (Scellier's code: 0.1 and
    /// 0.05 for 784-500-10 are lr 0.1 with factors 1, 0.5); empty: 1 for every layer.
    public var layerRates: [Float]
    /// Every training example's free phase starts where its last one ended (Scellier's
    /// persistent particles) instead of from zero; evaluation always starts from zero.
    public var persistentStates: Bool
    /// The training set's size, found when the run is prepared (the particles' count).
    public var trainingExamples: Int?

    /// EP with Scellier & Bengio's settings for one hidden layer.
    public init(contrast: Contrast = .equilibriumPropagation, beta: Float = 0.5, betaSign: BetaSign = .random,
                nudgeMode: NudgeMode = .oneSided, freeSteps: Int = 20, nudgedSteps: Int = 4, stepSize: Float = 0.5,
                layerRates: [Float] = [], persistentStates: Bool = false, trainingExamples: Int? = nil) {
        self.contrast = contrast
        self.beta = beta
        self.betaSign = betaSign
        self.nudgeMode = nudgeMode
        self.freeSteps = freeSteps
        self.nudgedSteps = nudgedSteps
        self.stepSize = stepSize
        self.layerRates = layerRates
        self.persistentStates = persistentStates
        self.trainingExamples = trainingExamples
    }

    private enum CodingKeys: String, CodingKey {
        case contrast, beta, betaSign, nudgeMode, freeSteps, nudgedSteps, stepSize, layerRates, persistentStates, trainingExamples
    }

    /// Reads `config.json`; one written before persistent states existed has neither field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(contrast: try c.decode(Contrast.self, forKey: .contrast), beta: try c.decode(Float.self, forKey: .beta),
                  betaSign: try c.decode(BetaSign.self, forKey: .betaSign), nudgeMode: try c.decode(NudgeMode.self, forKey: .nudgeMode),
                  freeSteps: try c.decode(Int.self, forKey: .freeSteps), nudgedSteps: try c.decode(Int.self, forKey: .nudgedSteps),
                  stepSize: try c.decode(Float.self, forKey: .stepSize), layerRates: try c.decode([Float].self, forKey: .layerRates),
                  persistentStates: try c.decodeIfPresent(Bool.self, forKey: .persistentStates) ?? false,
                  trainingExamples: try c.decodeIfPresent(Int.self, forKey: .trainingExamples))
    }

    public init?(argument: String) {
        guard let contrast = Contrast(rawValue: argument.lowercased()) else { return nil }
        self.init(contrast: contrast)
    }

    public static let identifier = "settling"
    public static let argumentHelp = "eqprop, chl, generec"
    public var description: String {
        contrast == .equilibriumPropagation && nudgeMode == .symmetric ? "eqprop-symmetric" : contrast.rawValue
    }

    /// Layer ℓ's factor on the learning rate.
    func layerRate(_ ℓ: Int) -> Float { ℓ < layerRates.count ? layerRates[ℓ] : 1 }

    public static var options: [RuleOption<Self>] {
        [
            .value("beta", \.beta, valueName: "beta", help: "EP: β, the size of the output's nudge (default 0.5).",
                   expected: "a positive nudge β", parse: Float.init),
            .value("beta-sign", \.betaSign, field: "betaSign", valueName: "random|positive",
                   help: "EP: β's sign drawn per batch, or always positive (default random).", expected: "random or positive",
                   parse: BetaSign.init(rawValue:)),
            .value("nudge-mode", \.nudgeMode, field: "nudgeMode", valueName: "one-sided|symmetric",
                   help: "EP: one nudged phase, or a second with −β and the central difference (symmetric EP; default one-sided).",
                   expected: "one-sided or symmetric", parse: NudgeMode.init(rawValue:)),
            .value("free-steps", \.freeSteps, field: "freeSteps", valueName: "T1", help: "T₁, the free phase's steps (default 20).",
                   expected: "a positive number of steps", parse: Int.init),
            .value("nudged-steps", \.nudgedSteps, field: "nudgedSteps", valueName: "T2",
                   help: "T₂, the nudged or clamped phase's steps (default 4).", expected: "a positive number of steps", parse: Int.init),
            .value("settle-step", \.stepSize, field: "stepSize", valueName: "epsilon",
                   help: "ε, the relaxation's step; 1 is the discrete-time form of Laborieux et al. (default 0.5).",
                   expected: "a step ε in (0, 1]", parse: Float.init),
            .flag("persistent-states", \.persistentStates, field: "persistentStates",
                  help: "Every training example's free phase starts where its last one ended (Scellier's persistent particles; "
                      + "default: from zero)."),
            .value("layer-rates", \.layerRates, field: "layerRates", valueName: "factors",
                   help: "Factors on --lr per weight layer, input side first, comma-separated (default 1 each).",
                   expected: "comma-separated positive factors",
                   parse: { text in
                       let factors = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
                       return factors.contains(nil) || factors.isEmpty ? nil : factors.compactMap { $0 }
                   }),
        ]
    }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard beta > 0, beta.isFinite else {
            throw .invalid(field: "rule.beta", value: "\(beta)", expected: "a positive, finite nudge β (its sign is --beta-sign's)")
        }
        guard freeSteps > 0 else { throw .invalid(field: "rule.freeSteps", value: "\(freeSteps)", expected: "a positive number of steps") }
        guard nudgedSteps > 0 else {
            throw .invalid(field: "rule.nudgedSteps", value: "\(nudgedSteps)", expected: "a positive number of steps")
        }
        guard stepSize > 0, stepSize <= 1 else { throw .invalid(field: "rule.stepSize", value: "\(stepSize)", expected: "a step ε in (0, 1]") }
        guard layerRates.allSatisfy({ $0 > 0 && $0.isFinite }), layerRates.count <= context.hiddenLayers.count + 1 else {
            throw .invalid(field: "rule.layerRates", value: layerRates.map { "\($0)" }.joined(separator: ","),
                           expected: "at most \(context.hiddenLayers.count + 1) positive factors, one per weight layer")
        }
        guard context.hiddenActivations.allSatisfy({ $0 == .hardSigmoid }) else {
            throw .invalid(field: "hiddenActivations", value: context.hiddenActivations.map(\.rawValue).joined(separator: ","),
                           expected: "hard-sigmoid units: the settling network's ρ")
        }
        guard context.loss == .squaredError else {
            throw .invalid(field: "loss", value: context.loss.rawValue, expected: "squared-error: the settling network's cost ½‖sᴸ − y‖²")
        }
        if contrast != .equilibriumPropagation && (beta != 0.5 || betaSign != .random || nudgeMode != .oneSided) {
            throw .invalid(field: "rule", value: contrast.rawValue,
                           expected: "eqprop for --beta, --beta-sign and --nudge-mode (\(contrast.rawValue) clamps the output)")
        }
    }

    public var needsPreparation: Bool { persistentStates && trainingExamples == nil }

    /// With persistent states: the training set's size, the number of particles to keep.
    public func prepared(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> Self {
        var settings = self
        if persistentStates { settings.trainingExamples = data.train.count }
        return settings
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        EquilibriumPropagation(settings: self, network: network)
    }
}

extension RuleSpec {
    /// Equilibrium propagation with Scellier & Bengio's settings for one hidden layer.
    public static let equilibriumPropagation = RuleSpec(SettlingSettings())
}
