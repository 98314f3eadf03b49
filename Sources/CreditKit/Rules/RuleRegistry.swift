/// Every rule `--rule` can name, one line each. A rule's folder under `Rules/` and its line here
/// are all that adding a rule takes.
public enum RuleRegistry {
    /// The registered rules, in the order `--help` lists them.
    public static let rules: [any RuleSettings.Type] = [
        BackpropagationSettings.self,
        GeneralFeedbackSettings.self,
        SignSymmetrySettings.self,
        KickbackSettings.self,
        NodePerturbationSettings.self,
        MatchingSettings.self,
        KolenPollackSettings.self,
        WeightMirrorSettings.self,
        ActivityDifferenceSettings.self,
        TargetPropagationSettings.self,
        SettlingSettings.self,
        PredictiveCodingSettings.self,
        EligibilityPropagationSettings.self,
        RealTimeRecurrentLearningSettings.self,
    ]

    /// The settings type stored under `identifier` in `config.json`.
    static func type(identifiedBy identifier: String) -> (any RuleSettings.Type)? {
        rules.first { $0.identifier == identifier }
    }

    /// Every rule's options, one paragraph per rule that has any, for `--help`.
    public static var optionsHelp: String { optionsHelp(for: rules) }

    /// The options of `types` but those in `excluded` (`--ridge`), one paragraph per rule.
    public static func optionsHelp(for types: [any RuleSettings.Type], excluding excluded: Set<String> = []) -> String {
        types.map { ($0, $0.optionHelp.filter { !excluded.contains($0.flag) }) }.filter { !$0.1.isEmpty }.map { type, options in
            "Options of --rule \(type.argumentHelp):\n" + options.map { option in
                "  " + option.flag + (option.valueName.map { " <\($0)>" } ?? "") + ": " + option.help
            }.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// The identifiers of the rules that have the option `flag` (`--noise` → `np`).
    public static func rules(withOption flag: String) -> [String] {
        var owners: [String] = []
        for rule in rules where rule.optionHelp.contains(where: { $0.flag == flag }) { owners.append(rule.identifier) }
        return owners
    }

    /// Every `--rule` value, for help texts.
    public static var argumentHelp: String { rules.map { $0.argumentHelp }.joined(separator: ", ") }
}

extension RuleRegistry {
    /// The option that sets the rule field `field` (`feedbackLearningRate` → `--feedback-lr`), in
    /// any registered rule.
    public static func optionFlag(forField field: String) -> String? {
        for rule in rules {
            if let option = rule.optionHelp.first(where: { $0.field == field }) { return option.flag }
        }
        return nil
    }
}
