/// One training run of either model, as one value: what an experiment declares, and what a sweep
/// writes to a file and ships to a cluster node. In JSON it reads
/// `{"model": "feed-forward", "configuration": {…}}` (or `"recurrent"`); the configuration is the
/// one a run directory's `config.json` records.
public enum RunSpecification: Sendable, Equatable, Codable {
    case feedForward(TrainingConfiguration)
    case recurrent(RecurrentConfiguration)

    /// The feed-forward configuration, if it is one.
    public var feedForward: TrainingConfiguration? {
        if case .feedForward(let configuration) = self { configuration } else { nil }
    }

    /// The recurrent configuration, if it is one.
    public var recurrent: RecurrentConfiguration? {
        if case .recurrent(let configuration) = self { configuration } else { nil }
    }

    /// The rule with its settings.
    public var rule: RuleSpec {
        switch self {
        case .feedForward(let configuration): configuration.rule
        case .recurrent(let configuration): configuration.rule
        }
    }

    /// Epochs it trains.
    public var epochs: Int {
        switch self {
        case .feedForward(let configuration): configuration.epochs
        case .recurrent(let configuration): configuration.epochs
        }
    }

    /// The seed of every random draw.
    public var seed: UInt64 {
        switch self {
        case .feedForward(let configuration): configuration.seed
        case .recurrent(let configuration): configuration.seed
        }
    }

    /// Checks every value that does not depend on the data (a feed-forward run is validated
    /// against its data when it starts).
    public func validate() throws(ConfigurationError) {
        switch self {
        case .feedForward(let configuration): try configuration.validate()
        case .recurrent(let configuration): try configuration.validate()
        }
    }

    /// The same run for `epochs` epochs, on the seed `seedOffset` after its own.
    public func withEpochs(_ epochs: Int, seedOffset: Int = 0) -> RunSpecification {
        switch self {
        case .feedForward(var configuration):
            configuration.epochs = epochs
            configuration.seed += UInt64(seedOffset)
            return .feedForward(configuration)
        case .recurrent(var configuration):
            configuration.epochs = epochs
            configuration.seed += UInt64(seedOffset)
            return .recurrent(configuration)
        }
    }

    private enum CodingKeys: String, CodingKey { case model, configuration }
    private enum Model: String, Codable { case feedForward = "feed-forward", recurrent }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Model.self, forKey: .model) {
        case .feedForward: self = .feedForward(try container.decode(TrainingConfiguration.self, forKey: .configuration))
        case .recurrent: self = .recurrent(try container.decode(RecurrentConfiguration.self, forKey: .configuration))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .feedForward(let configuration):
            try container.encode(Model.feedForward, forKey: .model)
            try container.encode(configuration, forKey: .configuration)
        case .recurrent(let configuration):
            try container.encode(Model.recurrent, forKey: .model)
            try container.encode(configuration, forKey: .configuration)
        }
    }
}
