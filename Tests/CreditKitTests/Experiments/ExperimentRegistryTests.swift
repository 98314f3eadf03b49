import Testing
@testable import CreditKit

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

    @Test func flamShepherdTablesCarryThePapersNumbers() throws {
        let table2 = try #require(ExperimentRegistry.named("flam-shepherd-table2"))
        #expect(table2.runs.count == 27)
        let tanh800 = table2.runs(models: ["2x800-tanh"])
        #expect(tanh800.map(\.variant) == ["s1", "s2", "s3"])
        #expect(tanh800.map(\.paperTestError) == [1.96, 1.95, 2.03])
        #expect(tanh800.allSatisfy { $0.configuration.hiddenLayers == [800, 800] && !$0.configuration.auxiliaryErrors })
        let table3 = try #require(ExperimentRegistry.named("flam-shepherd-table3"))
        #expect(table3.runs(models: ["2x800-tanh"]).map(\.paperTestError) == [1.66, 1.86, 1.87])
        #expect(table3.runs.allSatisfy { $0.configuration.auxiliaryErrors })
        let table4 = try #require(ExperimentRegistry.named("flam-shepherd-table4"))
        #expect(table4.runs.filter { $0.configuration.rule == .directFeedbackAlignment }.map(\.configuration.feedback) == FeedbackFamily.experiment4)
    }
}
