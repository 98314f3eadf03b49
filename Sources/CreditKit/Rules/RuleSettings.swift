/// A credit-assignment rule as a self-contained unit: its settings, how they are checked against
/// the model and the data, any preparation they need before training, the ``LearningRule`` they
/// make, and the command-line options that set them.
///
/// Each rule lives in its own folder under `Rules/` with its settings type; registering it is one
/// line in ``RuleRegistry``. The trainer, checkpoints, command line and experiments reach a rule
/// only through this protocol (wrapped in a ``RuleSpec``), so adding a rule changes none of them.
public protocol RuleSettings: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The key of this rule's settings in `config.json` (`"np"`).
    static var identifier: String { get }
    /// The `--rule` values this type accepts, for help texts (`"fa, dfa, s1, s2, s3, terms:L1/L2/…"`).
    static var argumentHelp: String { get }
    /// The options that set these settings on the command line, `--name value` or `--name`.
    static var options: [RuleOption<Self>] { get }

    /// The default settings of the rule `--rule argument` names, or `nil` when it names another rule.
    init?(argument: String)

    /// Checks the settings against the model and, when given, the data. Errors name the field (`rule.noise`).
    func validate(_ context: RuleContext) throws(ConfigurationError)

    /// A new rule for `network`; fixed or initial feedback weights are drawn from `random`.
    func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule

    /// Whether the forward weights learn in `epoch` (1-based); `false` while only the rule's
    /// feedback learns (node perturbation's warm-up). Default: always.
    func forwardWeightsLearn(inEpoch epoch: Int) -> Bool

    /// Whether ``prepared(for:data:progress:)`` has work to do before the first epoch.
    var needsPreparation: Bool { get }

    /// The settings with every choice made that depends on the data (Kickback's rescaling
    /// factors, found by cross-validation). `progress` receives one line per step of the work.
    func prepared(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> Self

    /// Whether a network without hidden layers can use the rule (only backprop's reference can).
    static var allowsNoHiddenLayers: Bool { get }

    /// For a rule that transports credit through matrices on a model's feedback paths and learns
    /// them with a ``FeedbackPathLearner`` (feedback alignment, matching, Kolen–Pollack, weight
    /// mirrors): its initial feedback and learner on `model` — how it works through time on a
    /// recurrent network. `nil` for rules that work only through depth.
    func makePathLearning<Model: FeedbackPathModel>(for model: Model, random: inout RandomSource)
        -> (feedback: [Matrix], learner: any FeedbackPathLearner)?
}

/// How a rule's option reads in help: `--noise <c>  The noise level …`.
public struct RuleOptionHelp: Sendable {
    /// The option as typed (`--noise`).
    public var flag: String
    /// The settings' property it sets.
    public var field: String
    /// `nil` for a flag without a value.
    public var valueName: String?
    /// One line for `--help`.
    public var help: String
}

extension RuleSettings {
    /// No options of its own.
    public static var options: [RuleOption<Self>] { [] }

    /// The options' flags, value names and help, for any rule type.
    public static var optionHelp: [RuleOptionHelp] {
        options.map { RuleOptionHelp(flag: $0.flag, field: $0.field, valueName: $0.valueName, help: $0.help) }
    }

    /// The forward weights learn in every epoch.
    public func forwardWeightsLearn(inEpoch epoch: Int) -> Bool { true }
    /// Nothing to prepare.
    public var needsPreparation: Bool { false }
    /// The settings as they are.
    public func prepared(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> Self { self }
    /// Works only through depth.
    public func makePathLearning<Model: FeedbackPathModel>(for model: Model, random: inout RandomSource)
        -> (feedback: [Matrix], learner: any FeedbackPathLearner)? { nil }
    /// A rule needs a hidden layer to assign credit to.
    public static var allowsNoHiddenLayers: Bool { false }
    /// Nothing to check.
    public func validate(_ context: RuleContext) throws(ConfigurationError) {}
}

/// What a rule's settings are checked against: the model and, once loaded, the data.
public struct RuleContext: Sendable {
    /// The widths of the hidden layers, input side first.
    public var hiddenLayers: [Int]
    /// One transfer function per hidden layer.
    public var hiddenActivations: [Activation]
    /// The loss the network is trained on.
    public var loss: Loss
    /// The width of the target the network regresses or classifies (after `--joint`), when the
    /// data are known.
    public var targetWidth: Int?
    /// Whether the data are a classification set, when known.
    public var isClassification: Bool?

    /// A context; the data facts are `nil` before the data are loaded.
    public init(hiddenLayers: [Int], hiddenActivations: [Activation], loss: Loss, targetWidth: Int? = nil, isClassification: Bool? = nil) {
        self.hiddenLayers = hiddenLayers
        self.hiddenActivations = hiddenActivations
        self.loss = loss
        self.targetWidth = targetWidth
        self.isClassification = isClassification
    }
}

/// One command-line option of a rule: `--name value` (or `--name` alone for a flag), and how it
/// changes the settings.
public struct RuleOption<Settings: RuleSettings>: Sendable {
    /// The long name without dashes (`noise`).
    public var name: String
    /// The settings' property it sets, as validation errors name it after `rule.`
    /// (`feedbackLearningRate` for `feedback-lr`).
    public var field: String
    /// What the value looks like in help (`c`), `nil` for a flag.
    public var valueName: String?
    /// One line for `--help`.
    public var help: String
    let apply: @Sendable (inout Settings, String) throws(ConfigurationError) -> Void

    /// The option as typed: `--noise`.
    public var flag: String { "--" + name }
    /// Whether the option takes no value.
    public var isFlag: Bool { valueName == nil }

    /// Sets the value; errors name the option.
    public func apply(_ text: String, to settings: inout Settings) throws(ConfigurationError) {
        try apply(&settings, text)
    }

    /// An option whose value is parsed by `parse` (nil: not a valid value, described by `expected`)
    /// and stored at `keyPath`.
    /// `field` is the property's name when it is not the option's.
    public static func value<Value: Sendable>(
        _ name: String, _ keyPath: WritableKeyPath<Settings, Value> & Sendable, field: String? = nil, valueName: String, help: String,
        expected: String, parse: @escaping @Sendable (String) -> Value?
    ) -> RuleOption {
        RuleOption(name: name, field: field ?? name, valueName: valueName, help: help) { (settings: inout Settings, text: String) throws(ConfigurationError) in
            guard let value = parse(text) else { throw .invalid(field: "--" + name, value: text, expected: expected) }
            settings[keyPath: keyPath] = value
        }
    }

    /// An option whose value is parsed by `parse` and stored by `set` (for settings nested in the
    /// rule's own, whose key paths are made by appending).
    public static func value<Value: Sendable>(
        _ name: String, field: String, valueName: String, help: String, expected: String,
        parse: @escaping @Sendable (String) -> Value?, set: @escaping @Sendable (inout Settings, Value) -> Void
    ) -> RuleOption {
        RuleOption(name: name, field: field, valueName: valueName, help: help) { (settings: inout Settings, text: String) throws(ConfigurationError) in
            guard let value = parse(text) else { throw .invalid(field: "--" + name, value: text, expected: expected) }
            set(&settings, value)
        }
    }

    /// A flag that sets `keyPath` to true.
    public static func flag(_ name: String, _ keyPath: WritableKeyPath<Settings, Bool> & Sendable, field: String? = nil,
                            help: String) -> RuleOption {
        RuleOption(name: name, field: field ?? name, valueName: nil, help: help) { (settings: inout Settings, _: String) throws(ConfigurationError) in
            settings[keyPath: keyPath] = true
        }
    }

    /// `--feedback FAMILY`: how fixed or initial feedback matrices are drawn.
    public static func feedbackFamily(_ keyPath: WritableKeyPath<Settings, FeedbackFamily> & Sendable, help: String) -> RuleOption {
        value("feedback", keyPath, valueName: "family", help: help, expected: FeedbackFamily.helpText, parse: FeedbackFamily.init(argument:))
    }
}
