import Foundation
import Testing
@testable import CreditExperiments
import CreditKit

@Suite("Experiment registry")
struct ExperimentRegistryTests {
    @Test func everyDeclaredConfigurationIsValid() throws {
        for experiment in ExperimentRegistry.all {
            #expect(!experiment.runs.isEmpty, "\(experiment.name)")
            let directories = experiment.runs.map(\.directoryName)
            #expect(Set(directories).count == directories.count, "\(experiment.name): run directories must be distinct")
            for run in experiment.runs {
                try run.configuration.validate()
            }
        }
    }

    /// Every declared run is one Codable value that reads back equal (what a sweep ships to a node).
    @Test func everyRunSurvivesJSON() throws {
        for experiment in ExperimentRegistry.all {
            for run in experiment.runs {
                let json = try JSONEncoder().encode(run.configuration)
                #expect(try JSONDecoder().decode(RunSpecification.self, from: json) == run.configuration, "\(experiment.name) \(run.label)")
            }
        }
        let fig4 = try #require(ExperimentRegistry.named("lansdell-fig4"))
        let text = String(decoding: try JSONEncoder().encode(fig4.runs[0].configuration), as: UTF8.self)
        #expect(text.contains("\"model\":\"recurrent\""), "\(text)")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunSpecification.self, from: Data(#"{"model":"lstm"}"#.utf8)) }
    }

    @Test func theRecurrentExperimentIsOneOfThemAndNamesAreDistinct() throws {
        let names = ExperimentRegistry.allNames
        #expect(Set(names).count == names.count)
        let fig4 = try #require(ExperimentRegistry.named("lansdell-fig4"))
        #expect(fig4.runs.map(\.configuration.rule.description) == ["bp", "fa", "np"])
        #expect(fig4.runs[2].configuration.rule == RuleSpec(NodePerturbationSettings(noise: 0.01, feedbackLearningRate: 0.001,
                                                                                       noiseProbability: 0.1, feedback: .xavier)))
        #expect(fig4.runs.allSatisfy { $0.configuration.recurrent?.bpttSteps == 7 && $0.configuration.recurrent?.hidden == 50 })
    }

    @Test func lansdellFigure2ComparesTheThreeRulesOnOneNet() throws {
        let fig2 = try #require(ExperimentRegistry.named("lansdell-fig2"))
        #expect(fig2.runs.map(\.configuration.rule.description) == ["bp", "fa", "np", "np", "np"])
        #expect(fig2.runs.compactMap { $0.configuration.rule.settings(as: NodePerturbationSettings.self)?.noise } == [0.001, 0.01, 0.1])
        #expect(fig2.runs.allSatisfy { $0.configuration.feedForward!.hiddenLayers == [50, 20] && $0.configuration.feedForward!.batchSize == 32 })
        #expect(Set(fig2.runs.map(\.configuration.feedForward!.learningRate)).count == 1)  // one step size for every rule, as the paper
        let fig5 = try #require(ExperimentRegistry.named("lansdell-fig5"))
        #expect(fig5.runs.allSatisfy { $0.configuration.feedForward!.freezeForwardWeights && $0.configuration.rule.settings(as: NodePerturbationSettings.self)?.solver == .exact })
        let fig3 = try #require(ExperimentRegistry.named("lansdell-fig3"))
        #expect(fig3.latentLayer == 1)
        #expect(fig3.runs.allSatisfy { $0.configuration.feedForward!.hiddenActivations == [.tanh, .identity, .tanh] && $0.configuration.feedForward!.hiddenLayers[1] == 2 })
        // The paper's protocol: one step for BP, FA and matching; NP's own, found by search, per width.
        let isNP = { (run: ExperimentRun) in run.configuration.rule.settings(as: NodePerturbationSettings.self) != nil }
        let sgd = fig3.runs.filter { $0.configuration.feedForward!.optimizer == .sgd && !isNP($0) }
        #expect(Set(sgd.map(\.configuration.feedForward!.learningRate)) == [0.005])
        let np = fig3.runs.filter(isNP)
        #expect(np.count == 2 && np.allSatisfy { $0.configuration.feedForward!.learningRate == 0.01 && $0.configuration.rule != .nodePerturbation })
    }

    @Test func flamShepherdTablesCarryThePapersNumbers() throws {
        let table2 = try #require(ExperimentRegistry.named("flam-shepherd-table2"))
        #expect(table2.runs.count == 27)
        let tanh800 = table2.runs(models: ["2x800-tanh"])
        #expect(tanh800.map(\.variant) == ["s1", "s2", "s3"])
        #expect(tanh800.map(\.paperTestError) == [1.96, 1.95, 2.03])
        #expect(tanh800.allSatisfy { $0.configuration.feedForward!.hiddenLayers == [800, 800] && $0.configuration.rule.settings(as: GeneralFeedbackSettings.self)?.auxiliaryErrors == false })
        let table3 = try #require(ExperimentRegistry.named("flam-shepherd-table3"))
        #expect(table3.runs(models: ["2x800-tanh"]).map(\.paperTestError) == [1.66, 1.86, 1.87])
        #expect(table3.runs.allSatisfy { $0.configuration.rule.settings(as: GeneralFeedbackSettings.self)?.auxiliaryErrors == true })
        let table4 = try #require(ExperimentRegistry.named("flam-shepherd-table4"))
        let dfa = table4.runs.compactMap { $0.configuration.rule.settings(as: GeneralFeedbackSettings.self) }.filter { $0.preset == .directFeedbackAlignment }
        #expect(dfa.map(\.feedback) == FeedbackFamily.experiment4)
    }
}

@Suite("Computed figures")
struct AnalysisTests {
    /// `credit reproduce ngrad-first-order`: NGRAD's credit converges to backprop's with slope 1
    /// (one-sided) and 2 (symmetric), written as CSV and SVG.
    @Test func ngradFirstOrderShowsTheSlopes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-first-order-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var lines: [String] = []
        try #require(ExperimentRegistry.analysis(named: "ngrad-first-order")).run(root) { if case .output(let line) = $0 { lines.append(line) } }
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("slope one-sided 0.9") || $0.contains("slope one-sided 1.0") }, "\(lines)")
        #expect(lines.allSatisfy { $0.contains("symmetric 1.9") || $0.contains("symmetric 2.0") }, "\(lines)")
        let csv = try String(contentsOfFile: root + "/first-order.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 39)
        #expect(FileManager.default.fileExists(atPath: root + "/first-order.svg"))
        #expect(ExperimentRegistry.allNames.contains("ngrad-first-order"))
    }
}
