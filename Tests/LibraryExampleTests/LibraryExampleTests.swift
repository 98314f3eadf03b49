import CreditKit
import Foundation
import Testing

// The README's library example, compiled and run: a rule of one's own (feedback through the signs
// of the forward weights), a network of one's own, data from one's own arrays, a checkpoint and a
// resumed run. Only CreditKit's public API is used (no @testable import).

// --- README example: begin
struct SignFeedback: LearningRule {                                        // δaⁱ = (sign(Wⁱ⁺¹)ᵀ δaⁱ⁺¹) ⊙ f'(aⁱ)
    var name: String { "sign-feedback" }
    mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend, random: inout RandomSource) {
        let signs = network.layers.dropFirst().map { $0.weights.map { $0 > 0 ? 1 : -1 } }
        LayerwiseFeedback.assignCredit(through: signs, network: network, workspace: &workspace, backend: backend)
    }
}

func trainOnOwnArrays(x: [Float], labels: [UInt8], checkpoint path: String) throws -> (before: Trainer<FeedForwardModel>, resumed: Trainer<FeedForwardModel>) {
    let data = Dataset(name: "mine", count: labels.count, featureCount: 2, features: .floats(x), targets: .classes(labels, classCount: 2))
    var random = RandomSource(seed: 7)
    let network = Network(architecture: Architecture(sizes: [2, 16, 2], hiddenActivation: .tanh), initializer: .xavier, random: &random)
    let settings = TrainingConfiguration(epochs: 4, batchSize: 10, learningRate: 0.1, optimizer: .momentum)
    var trainer = try Trainer(network: network, rule: SignFeedback(), data: DataSplit(train: data, test: data, source: "arrays"),
                              configuration: settings)
    for _ in 0..<2 { try trainer.trainEpoch() }
    try trainer.checkpoint.write(to: path)                                  // …interrupted here…
    var resumed = try Trainer(network: network, rule: SignFeedback(), data: trainer.data, configuration: settings)
    try resumed.restore(Checkpoint.read(from: path))
    try resumed.trainEpoch()
    return (trainer, resumed)
}
// --- README example: end

@Suite("The README's library example")
struct LibraryExampleTests {
    @Test func aRuleNetworkAndDataOfOnesOwnTrainCheckpointAndResume() throws {
        // Two classes on either side of the line x₀ = x₁.
        var random = RandomSource(seed: 3)
        let points = (0..<200).map { _ in (random.uniform(-1, 1), random.uniform(-1, 1)) }
        let x = points.flatMap { [$0.0, $0.1] }
        let labels = points.map { UInt8($0.0 > $0.1 ? 1 : 0) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-example-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var (trainer, resumed) = try trainOnOwnArrays(x: x, labels: labels, checkpoint: path)
        #expect(resumed.epochsCompleted == 3)
        try trainer.trainEpoch()
        #expect(resumed.network == trainer.network)                        // the resumed run is the uninterrupted one
        #expect(trainer.history.last!.testError < 0.1, "\(trainer.history.map(\.testError))")
        #expect(trainer.rule.name == "sign-feedback")
    }
}
