import Foundation

/// The rule of a run: the settings of any registered rule (``RuleRegistry``), as one value that
/// configurations hold, compare and save.
///
/// In `config.json` it reads `{"name": "np", "settings": {…}}`; on the command line the rule is
/// named by `--rule` (``init(argument:)``) and its settings are set by the rule's own options.
public struct RuleSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The rule's settings, of the rule's own type.
    public var settings: any RuleSettings

    /// The rule these settings describe.
    public init(_ settings: some RuleSettings) {
        self.settings = settings
    }

    /// The default settings of the registered rule that `argument` names (`np`, `s2`, `terms:da/d`).
    public init?(argument: String) {
        for type in RuleRegistry.rules {
            if let settings = type.init(argument: argument) {
                self.settings = settings
                return
            }
        }
        return nil
    }

    /// The rule as `--rule` names it (`terms:da/d`).
    public var description: String { settings.description }

    /// The name, usable as a file or folder name (`terms:da/d` → `terms-da_d`).
    public var fileName: String {
        description.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ":", with: "-")
    }

    /// Equal when both are the same rule with equal settings.
    public static func == (lhs: RuleSpec, rhs: RuleSpec) -> Bool {
        lhs.settings.isEqual(to: rhs.settings)
    }

    /// The settings as their own type, if they are of that type.
    public func settings<S: RuleSettings>(as type: S.Type) -> S? { settings as? S }

    /// The settings after ``RuleSettings/prepared(for:data:progress:)``.
    public func prepared(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> RuleSpec {
        try settings.preparedSpec(for: configuration, data: data, progress: progress)
    }

    /// Applies `--name value` pairs (or `--name` flags) of the rule's own options, in order.
    /// Returns the names that were given. Throws for an option the rule does not have.
    @discardableResult
    public mutating func applyOptions(_ arguments: [String]) throws(ConfigurationError) -> Set<String> {
        let (spec, given) = try settings.applyingOptions(arguments)
        self = spec
        return given
    }

    /// `--name=value` → (`--name`, `value`); `--name` → (`--name`, nil).
    fileprivate static func split(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private enum CodingKeys: String, CodingKey { case name, settings }

    public init(from decoder: any Decoder) throws {
        if let legacy = try? decoder.singleValueContainer().decode(String.self) {
            // config.json before rules had settings of their own: the rule's settings lay beside it,
            // in fields this version no longer reads, so resuming would silently change them.
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "the rule '\(legacy)' is written as in an earlier CreditKit, with its settings beside it; this version cannot "
                    + "resume that run exactly: start a new one"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        guard let type = RuleRegistry.type(identifiedBy: name) else {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container,
                                                   debugDescription: "unknown rule '\(name)'; known: \(RuleRegistry.rules.map { $0.identifier })")
        }
        settings = try type.init(from: container.superDecoder(forKey: .settings))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type(of: settings).identifier, forKey: .name)
        try settings.encode(to: container.superEncoder(forKey: .settings))
    }
}

extension RuleSettings {
    func isEqual(to other: any RuleSettings) -> Bool { (other as? Self) == self }

    func preparedSpec(for configuration: TrainingConfiguration, data: DataSplit, progress: (String) -> Void) throws -> RuleSpec {
        RuleSpec(try prepared(for: configuration, data: data, progress: progress))
    }

    /// ``RuleSpec/applyOptions(_:)`` on the settings' own type.
    func applyingOptions(_ arguments: [String]) throws(ConfigurationError) -> (RuleSpec, Set<String>) {
        var settings = self
        var given: Set<String> = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let (flag, inlineValue) = RuleSpec.split(argument)
            guard let option = Self.options.first(where: { $0.flag == flag }) else {
                let known = Self.options.map(\.flag)
                let own = known.isEmpty ? "rule \(settings) takes no options of its own"
                    : "rule \(settings) takes " + known.joined(separator: ", ")
                guard flag.hasPrefix("-") else { throw .invalid(field: "rule", value: argument, expected: "no further arguments (\(own))") }
                let owners = RuleRegistry.rules(withOption: flag)
                throw .invalid(field: flag, value: argument,
                               expected: owners.isEmpty ? "a flag of this command (see --help); \(own)"
                                   : "a rule that has it (\(owners.joined(separator: ", "))); \(own)")
            }
            if option.isFlag {
                guard inlineValue == nil else { throw .invalid(field: flag, value: argument, expected: "no value (it is a flag)") }
                try option.apply("", to: &settings)
            } else if let inlineValue {
                try option.apply(inlineValue, to: &settings)
            } else {
                index += 1
                guard index < arguments.endIndex else { throw .invalid(field: flag, value: "", expected: "a value (\(option.valueName!))") }
                try option.apply(arguments[index], to: &settings)
            }
            given.insert(option.name)
            index += 1
        }
        return (RuleSpec(settings), given)
    }
}
