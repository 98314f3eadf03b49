import CreditKit

/// A named experiment of a paper: declared configurations, each with the figure the paper reports.
public struct Experiment: Sendable {
    /// The name `credit reproduce` takes (`lansdell-fig2`).
    public let name: String
    /// The paper and the figure or table.
    public let source: String
    /// What the experiment shows and how our settings differ from the paper's.
    public let notes: String
    /// Every configuration, in the order of the paper's table.
    public let runs: [ExperimentRun]
    /// Training epochs unless `--epochs` says otherwise.
    public let defaultEpochs: Int
    /// Writes reconstructions after each run (autoencoders).
    public let reconstructions: Bool
    /// Plots this hidden layer's (2-D) activity of test images coloured by digit (a bottleneck).
    public var latentLayer: Int? = nil
    /// What the table reports and the paper's figures are in: the test error (in %), or the test
    /// loss per example (autoencoders, the recurrent regressions, the add task's cross-entropy).
    public var measure: Measure = .testError
    /// Horizontal lines on the loss chart, `test-loss.svg` (the add task's cross-entropy ladder).
    public var referenceLosses: [(name: String, value: Double)] = []

    /// The figure of a run that the table reports.
    public enum Measure: Sendable {
        case testError, testLoss
    }

    /// The runs whose model is in `models` (all when `nil`).
    public func runs(models: Set<String>?) -> [ExperimentRun] {
        guard let models else { return runs }
        return runs.filter { models.contains($0.model) }
    }

    /// The models (rows of the paper's table), in order, each once.
    public var models: [String] { Self.distinct(runs.map(\.model)) }

    /// The variants (rules or settings: the columns of the paper's table), in order, each once.
    public var variants: [String] { Self.distinct(runs.map(\.variant)) }

    private static func distinct(_ names: [String]) -> [String] {
        var seen: [String] = []
        for name in names where !seen.contains(name) { seen.append(name) }
        return seen
    }
}

/// One configuration of an experiment.
public struct ExperimentRun: Sendable {
    /// The row of the paper's table (e.g. `2x800-tanh`).
    public let model: String
    /// The column (e.g. `s1`, `dfa-B3`).
    public let variant: String
    /// The run as we train it.
    public let configuration: RunSpecification
    /// The paper's test error in percent, when it states one.
    public let paperTestError: Double?
    /// What the paper says when it gives no single number.
    public let paperNote: String?

    /// A feed-forward run.
    public init(model: String, variant: String, configuration: TrainingConfiguration, paperTestError: Double? = nil,
                paperNote: String? = nil) {
        self.init(model: model, variant: variant, configuration: .feedForward(configuration), paperTestError: paperTestError,
                  paperNote: paperNote)
    }

    /// A run of either model.
    public init(model: String, variant: String, configuration: RunSpecification, paperTestError: Double? = nil,
                paperNote: String? = nil) {
        self.model = model
        self.variant = variant
        self.configuration = configuration
        self.paperTestError = paperTestError
        self.paperNote = paperNote
    }

    /// How progress lines name the run.
    public var label: String { "\(model) \(variant)" }
    /// The run directory's name under the experiment's.
    public var directoryName: String { "\(model)-\(variant)" }
}

