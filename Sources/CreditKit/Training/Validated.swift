/// A run's configuration after every check has passed — for a feed-forward run, against the data
/// it will train on: the only form a model accepts. A configuration is validated once, where it
/// enters (``TrainingConfiguration/validated(for:)``, ``RecurrentConfiguration/validated()``);
/// nothing downstream checks it again, and nothing can skip the check.
public struct Validated<Configuration: RunConfiguration>: Sendable {
    /// The configuration.
    public let configuration: Configuration
    /// The data it was checked against (a feed-forward run's); `nil` for a recurrent run, whose
    /// task generates its data from the configuration.
    public let data: DataSplit?

    init(checked configuration: Configuration, data: DataSplit?) {
        self.configuration = configuration
        self.data = data
    }
}

extension TrainingConfiguration {
    /// The configuration, checked — every value, then against `data` — once.
    public func validated(for data: DataSplit) throws(ConfigurationError) -> Validated<TrainingConfiguration> {
        try validate()
        try validate(against: data)
        return Validated(checked: self, data: data)
    }
}

extension RecurrentConfiguration {
    /// The configuration, checked once.
    public func validated() throws(ConfigurationError) -> Validated<RecurrentConfiguration> {
        try validate()
        return Validated(checked: self, data: nil)
    }
}

extension Validated where Configuration == TrainingConfiguration {
    /// The configuration with its rule prepared for its data (Kickback's factor search); only the
    /// rule's new settings are checked. `progress` hears about the preparation's steps.
    public func preparingRule(progress: (String) -> Void) throws -> Validated<TrainingConfiguration> {
        guard configuration.rule.settings.needsPreparation, let data else { return self }
        var prepared = configuration
        prepared.rule = try configuration.rule.prepared(for: configuration, data: data, progress: progress)
        try prepared.rule.settings.validate(prepared.ruleContext(targetWidth: prepared.targetWidth(of: data),
                                                                 isClassification: data.train.isClassification))
        return Validated(checked: prepared, data: data)
    }
}
