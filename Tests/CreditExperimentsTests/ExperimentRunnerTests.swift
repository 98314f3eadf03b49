import Foundation
import Testing
@testable import CreditExperiments
import CreditKit

/// A tiny experiment, end to end: runs on two seeds into their directories, the table and
/// results.csv with mean ± standard error, the charts; a second call picks the finished runs up.
@Suite("Running experiments")
struct ExperimentRunnerTests {
    static let offline = DataLocator(environment: [:], allowDownload: false)

    static var tiny: Experiment {
        func run(_ rule: RuleSpec) -> ExperimentRun {
            ExperimentRun(model: "64-16-10", variant: rule.description,
                          configuration: TrainingConfiguration(hiddenLayers: [16], rule: rule, epochs: 1, batchSize: 50, seed: 5),
                          paperTestError: rule == .backprop ? 12.5 : nil, paperNote: nil)
        }
        return Experiment(name: "tiny", source: "a test", notes: "", runs: [run(.backprop), run(.feedbackAlignment)], defaultEpochs: 1,
                          reconstructions: false)
    }

    @Test func aTinyExperimentRunsEndToEndAndResumes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-experiment-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        // One seed first; asking for two then trains only the second: the experiment's own seed
        // keeps its folder.
        let single = try ExperimentRunner(root: root, epochs: 2, locator: Self.offline).run(Self.tiny)
        let runner = ExperimentRunner(root: root, epochs: 2, seeds: 2, locator: Self.offline)
        var lines: [String] = []
        let outcomes = try runner.run(Self.tiny) { if case .output(let line) = $0 { lines.append(line) } }
        #expect(!lines.contains { $0.contains("seed 5") && $0.contains("epoch ") })
        #expect(lines.contains { $0.contains("seed 6") && $0.contains("epoch ") })
        #expect(outcomes[0].seeds[0].feedForward?.network == single[0].seeds[0].feedForward?.network)

        #expect(outcomes.map(\.run.variant) == ["bp", "fa"])
        #expect(outcomes.allSatisfy { $0.seeds.map(\.seed) == [5, 6] && $0.seeds.allSatisfy { $0.failure == nil && $0.history.count == 2 } })
        for directory in ["64-16-10-bp", "64-16-10-bp-seed6", "64-16-10-fa", "64-16-10-fa-seed6"] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/\(directory)/checkpoint.bin"), "\(directory)")
        }
        for file in ["results.csv", "test-error.svg", "angles.svg", "feedback.csv"] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/\(file)"), "\(file)")
        }
        let results = try String(contentsOfFile: root + "/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(results.count == 5)
        #expect(results[1].hasPrefix("64-16-10,bp,5,12.5,"))

        // The table's figure for bp is the mean ± standard error of the two seeds' final errors.
        let finals = outcomes[0].seeds.map { $0.history.last!.testError }
        let spread = MeanAndStandardError(finals)
        let row = try #require(lines.first { $0.hasPrefix("64-16-10") && $0.contains(" bp ") && !$0.contains("epoch") })
        #expect(row.contains(percent(spread.mean) + " ± " + String(format: "%.2f", 100 * spread.standardError)), "\(row)")
        #expect(row.contains("12.50%"))

        // Run again: every run is picked up where it was, nothing trains.
        var statuses: [String] = []
        var epochLines = 0
        let again = try runner.run(Self.tiny) { event in
            switch event {
            case .status(let line): statuses.append(line)
            case .output(let line) where line.contains("epoch "): epochLines += 1
            default: break
            }
        }
        #expect(epochLines == 0)
        #expect(again[1].seeds[1].feedForward?.network == outcomes[1].seeds[1].feedForward?.network)
    }

    @Test func aTinyRecurrentExperimentRuns() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-rnn-experiment-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = RecurrentConfiguration()
        configuration.hidden = 8
        configuration.stepsPerEpoch = 140
        configuration.streams = 4
        let experiment = Experiment(name: "tiny-rnn", source: "a test", notes: "",
                                    runs: [ExperimentRun(model: "rnn-8", variant: "fa", configuration: .recurrent(configuration))],
                                    defaultEpochs: 1, reconstructions: false)
        let outcomes = try ExperimentRunner(root: root, seeds: 2, locator: Self.offline).run(experiment)
        #expect(outcomes.count == 1 && outcomes[0].seeds.map(\.seed) == [1, 2])
        #expect(outcomes[0].seeds.allSatisfy { $0.failure == nil && $0.history.count == 1 && $0.feedForward == nil })
        let results = try String(contentsOfFile: root + "/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(results.count == 3 && results[1].hasPrefix("rnn-8,fa,1,,"))
        for file in ["test-error.svg", "angles.svg", "rnn-8-fa/checkpoint.bin", "rnn-8-fa-seed2/metrics.csv"] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + file), "\(file)")
        }
    }

    /// A regression's error is its normalized MSE: printed as such, never as a percentage.
    @Test func aRegressionEpochSaysNMSE() {
        let record = EpochRecord(epoch: 1, trainLoss: 0.5, trainError: 0.25, testLoss: 0.6, testError: 0.0116, learningRate: 0.1,
                                 seconds: 1, samplesPerSecond: 10)
        let line = RunSession.epochLine(record, of: 2, prefix: "", error: "nMSE")
        #expect(line.contains("test nMSE 0.0116") && !line.contains("%"), "\(line)")
        #expect(RunSession.epochLine(record, of: 2, prefix: "", error: "err").contains("test err 1.16%"))
    }

    /// A random search's variant names every sampled flag: the table's column grows to fit it
    /// (it was cut at 28 characters), and the CSV holds 15.71, not 15.709999999999999.
    @Test func longVariantsFitTheirColumnAndFiguresPrintShort() {
        let configuration = TrainingConfiguration(dataset: .digits, hiddenLayers: [4], epochs: 1)
        let variant = "lr=0.0009876 target-step=0.117 backward-noise=0.3769"
        let runs = [ExperimentRun(model: "grid", variant: variant, configuration: configuration),
                    ExperimentRun(model: "grid", variant: "bp", configuration: configuration)]
        #expect(ExperimentRunner.labelWidths(runs) == (model: 24, variant: variant.count + 2))
        #expect(ExperimentRunner.labelWidths([runs[1]]) == (model: 24, variant: 28))
        #expect(ExperimentRunner.csvNumber(100 * 0.1571) == "15.71")
        #expect(ExperimentRunner.csvNumber(1.0 / 3) == "0.3333333333")
        #expect(ExperimentRunner.csvNumber(.nan) == "nan")
    }
}
