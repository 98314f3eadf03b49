import Foundation

/// Kickback's rescaling factors: given, or chosen by cross-validation before training.
public enum KickbackScales: Sendable, Hashable, CodableAsArgument {
    /// Chosen by ``KickbackScaleSearch`` (k-fold cross-validation on the training set).
    case auto
    /// One factor for every hidden layer below the top, or one per such layer (input side first).
    case fixed([Float])

    public init?(argument: String) {
        if argument == "auto" { self = .auto; return }
        var factors: [Float] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Float(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            factors.append(value)
        }
        self = .fixed(factors)
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .fixed(let factors): factors.map { "\($0)" }.joined(separator: ",")
        }
    }
}

/// Kickback's settings (`--rule kickback`): the rescaling factors `ρᵢ` of the hidden layers below
/// the top.
public struct KickbackSettings: RuleSettings {
    /// The rescaling factors: fixed, or chosen by cross-validation before training.
    public var scales: KickbackScales
    /// How `auto` searches.
    public var search = KickbackScaleSearch()

    /// Kickback with `scales`.
    public init(scales: KickbackScales = .fixed([1])) {
        self.scales = scales
    }

    public init?(argument: String) {
        guard argument.lowercased() == "kickback" else { return nil }
        self.init()
    }

    public static let identifier = "kickback"
    public static let argumentHelp = "kickback"
    public var description: String { "kickback" }

    public static var options: [RuleOption<Self>] {
        [
            .value("kickback-scales", \.scales, field: "scales", valueName: "factors",
                   help: "Kickback's feedback rescaling: one factor, one per hidden layer below the top (comma-separated), or 'auto' "
                       + "(k-fold cross-validation on the training set). Default 1.",
                   expected: "positive factors such as 1 or 2,1, or 'auto'", parse: KickbackScales.init(argument:)),
        ]
    }

    private enum CodingKeys: String, CodingKey { case scales }

    public func validate(_ context: RuleContext) throws(ConfigurationError) {
        guard context.hiddenActivations.allSatisfy(\.isRectifier) else {
            throw .invalid(field: "hiddenActivations", value: context.hiddenActivations.first?.rawValue ?? "",
                           expected: "rectifier hidden units for Kickback (mixed-rectifier: half positive, half negative)")
        }
        if case .fixed(let factors) = scales {
            let below = max(context.hiddenLayers.count - 1, 0)
            if factors.count != 1, factors.count != below {
                throw .invalid(field: "rule.scales", value: scales.description,
                               expected: "one factor, or one per hidden layer below the top (\(below))")
            }
            if let bad = factors.first(where: { !($0 > 0 && $0.isFinite) }) {
                throw .invalid(field: "rule.scales", value: "\(bad)", expected: "positive rescaling factors")
            }
        }
        if let width = context.targetWidth, let isClassification = context.isClassification,
           width != 1 && context.loss == .squaredError && !isClassification {
            throw .invalid(field: "rule", value: "kickback",
                           expected: "a scalar regression target (e.g. --dataset sarcos --joint 3), or a classification set "
                               + "(the multi-class extension)")
        }
    }

    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) -> any LearningRule {
        guard case .fixed(let factors) = scales else {
            // Unprepared `auto` (a trainer built without the search): unit factors.
            return Kickback(truncated: true, scales: [1], network: network, loss: loss)
        }
        return Kickback(truncated: true, scales: factors, network: network, loss: loss)
    }

    public var needsPreparation: Bool { scales == .auto }

    /// With `auto`: the factors ``KickbackScaleSearch`` chooses on the training set.
    public func prepared(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> Self {
        guard scales == .auto else { return self }
        progress("choosing Kickback's rescaling factors by \(search.folds)-fold cross-validation (\(search.epochs) epochs per trial)")
        let result = try search.search(configuration, data: data, progress: progress)
        if result.validationError.isFinite {
            progress("kickback scales \(KickbackScaleSearch.format(result.scales)): validation nMSE "
                     + String(format: "%.4f ± %.4f", result.validationError, result.standardError)
                     + " (\(result.trials) trials; the factor nearest the centre within one standard error of the best)")
        } else {
            // Every candidate diverged or was incoherent: the magnitude-matching start stands.
            progress("kickback scales \(KickbackScaleSearch.format(result.scales)): no candidate of \(result.trials) trials was usable "
                     + "(each diverged or was incoherent); keeping the magnitude-matching start")
        }
        var settings = self
        settings.scales = .fixed(result.scales)
        return settings
    }
}

extension RuleSpec {
    /// Kickback with unit rescaling factors.
    public static let kickback = RuleSpec(KickbackSettings())

    /// Kickback with the given rescaling factors.
    public static func kickback(scales: KickbackScales) -> RuleSpec { RuleSpec(KickbackSettings(scales: scales)) }
}
