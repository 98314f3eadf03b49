import CreditKit
import Foundation

/// Several rules on one model, same seed and data order, each in its own run directory under one
/// root (resumed if interrupted), then one report: `credit compare` and `credit compare-rnn`.
public enum RuleComparison {
    /// Trains every run of `runs` into `root/<rule>/` (a feed-forward run on `data`, which it then
    /// requires) and writes the comparison's CSV and charts into `root`. Every run is validated
    /// before the first one trains.
    @discardableResult
    public static func run(_ runs: [RunSpecification], data: DataSplit?, root: String, title: String,
                           events: (RunEvent) -> Void = { _ in }) throws -> ComparisonReport {
        enum Checked {
            case feedForward(Validated<TrainingConfiguration>)
            case recurrent(Validated<RecurrentConfiguration>)
        }
        let checked: [Checked] = try runs.map { run in
            switch run {
            case .feedForward(let configuration):
                guard let data else { throw ConfigurationError.invalid(field: "data", value: "", expected: "data for a feed-forward run") }
                return .feedForward(try configuration.validated(for: data))
            case .recurrent(let configuration):
                return .recurrent(try configuration.validated())
            }
        }
        var rows: [ComparisonRow] = []
        for (run, validated) in zip(runs, checked) {
            let rule = run.rule
            let directory = RunDirectory(path: root + "/" + rule.fileName)
            let history: [EpochRecord]
            switch validated {
            case .feedForward(let validated):
                history = try RunSession.run(validated, in: directory, label: rule.description, events: events).trainer.history
            case .recurrent(let validated):
                history = try RunSession.run(validated, in: directory, label: rule.description, events: events).trainer.history
            }
            rows.append(ComparisonRow(rule: rule.description, history: history))
        }
        let report = ComparisonReport(rows: rows, title: title)
        for line in report.table { events(.output(line)) }
        try report.write(to: root)
        events(.status("wrote \(root)/comparison.csv, test-error.svg, angles.svg"))
        return report
    }
}
