import Foundation
import Testing
@testable import CreditKit

@Suite("Training runs")
struct TrainerTests {
    static let digits: DataSplit = try! DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))

    func configuration(epochs: Int = 2, optimizer: OptimizerKind = .momentum, seed: UInt64 = 3) -> TrainingConfiguration {
        TrainingConfiguration(dataset: .digits, hiddenLayers: [32, 16], activation: .tanh, epochs: epochs, batchSize: 50,
                              learningRate: optimizer == .adam ? 0.002 : 0.05, optimizer: optimizer, seed: seed)
    }

    @Test func theSameSeedGivesBitIdenticalRuns() throws {
        var a = try Trainer(configuration: configuration(), data: Self.digits)
        var b = try Trainer(configuration: configuration(), data: Self.digits)
        var c = try Trainer(configuration: configuration(seed: 4), data: Self.digits)
        for _ in 0..<2 { try a.trainEpoch(); try b.trainEpoch(); try c.trainEpoch() }
        #expect(a.network == b.network)
        #expect(a.history.map(\.testLoss) == b.history.map(\.testLoss))
        #expect(a.network != c.network)
    }

    @Test(arguments: OptimizerKind.allCases)
    func aResumedRunEqualsTheUninterruptedOne(_ optimizer: OptimizerKind) throws {
        var straight = try Trainer(configuration: configuration(epochs: 3, optimizer: optimizer), data: Self.digits)
        for _ in 0..<3 { try straight.trainEpoch() }

        let directory = RunDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-run-\(UUID().uuidString)").path)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.create()
        var interrupted = try Trainer(configuration: configuration(epochs: 3, optimizer: optimizer), data: Self.digits)
        try directory.writeConfiguration(of: interrupted)
        for _ in 0..<2 { try interrupted.trainEpoch(); try directory.recordEpoch(of: interrupted) }

        let restoredConfiguration = try directory.readConfiguration()
        #expect(restoredConfiguration == configuration(epochs: 3, optimizer: optimizer))
        var resumed = try Trainer(configuration: restoredConfiguration, data: Self.digits)
        try resumed.restore(Checkpoint.read(from: directory.checkpointPath))
        #expect(resumed.epochsCompleted == 2)
        try resumed.trainEpoch()
        #expect(resumed.network == straight.network)
        #expect(resumed.model.optimizer == straight.model.optimizer)
        #expect(resumed.history.map(\.testError) == straight.history.map(\.testError))
        let metrics = try String(contentsOfFile: directory.metricsPath, encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 3)  // header and two finished epochs
    }

    /// Momentum keeps its velocity decayed (`μ·v`); a checkpoint from before, which holds `v`, is
    /// converted on restore instead of being read as if decayed.
    @Test func aCheckpointHoldingTheUndecayedVelocityIsConverted() throws {
        var trainer = try Trainer(configuration: configuration(epochs: 1), data: Self.digits)
        try trainer.trainEpoch()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-ckpt-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var old = trainer.checkpoint
        old.momentumBuffersDecayed = false
        try old.write(to: path)
        let read = try Checkpoint.read(from: path)
        #expect(!read.momentumBuffersDecayed)
        var restored = try Trainer(configuration: configuration(epochs: 1), data: Self.digits)
        try restored.restore(read)
        let mu = trainer.model.optimizer.settings.momentum
        #expect(restored.model.optimizer.firstMoments.map { Array($0.elements) } == old.optimizerBuffers.map { $0.elements.map { mu * $0 } })

        try trainer.checkpoint.write(to: path)
        #expect(try Checkpoint.read(from: path).momentumBuffersDecayed)
    }

    /// Rules that learn their feedback resume exactly too: the learned B, the exact solver's sums
    /// and the matching rule's last weights are in the checkpoint, the settings in config.json.
    @Test(arguments: ["np-sgd", "np-exact", "matching", "kp", "wm", "ngrad-learned", "drl-adam"])
    func aResumedRunOfALearnedFeedbackRuleEqualsTheUninterruptedOne(_ variant: String) throws {
        var configuration = configuration(epochs: 3)
        configuration.rule = switch variant {
        case "np-sgd", "np-exact":
            RuleSpec(NodePerturbationSettings(noise: 0.05, solver: variant == "np-exact" ? .exact : .sgd, warmupEpochs: 1))
        case "ngrad-learned":
            RuleSpec(ActivityDifferenceSettings(backward: .learned, topDown: TopDownSettings(schedule: .alternating, pretrainEpochs: 1)))
        case "drl-adam":
            RuleSpec(TargetPropagationSettings(topDown: TopDownSettings(learningRate: 1e-3, noise: 0.1, loss: .difference, optimizer: .adam)))
        default: RuleSpec(argument: variant)!
        }
        var straight = try Trainer(configuration: configuration, data: Self.digits)
        for _ in 0..<3 { try straight.trainEpoch() }

        let directory = RunDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-run-\(UUID().uuidString)").path)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.create()
        var interrupted = try Trainer(configuration: configuration, data: Self.digits)
        try directory.writeConfiguration(of: interrupted)
        for _ in 0..<2 { try interrupted.trainEpoch(); try directory.recordEpoch(of: interrupted) }
        let restored = try directory.readConfiguration()
        #expect(restored == configuration)
        var resumed = try Trainer(configuration: restored, data: Self.digits)
        try resumed.restore(Checkpoint.read(from: directory.checkpointPath))
        try resumed.trainEpoch()
        #expect(resumed.network == straight.network)
        #expect(resumed.rule.state == straight.rule.state)
    }

    /// Rule state is restored by name: two same-sized tensors under each other's names (here the
    /// exact solver's B and its cross sums, both shaped like W) are refused, not swapped silently.
    @Test func ruleStateWithOtherNamesIsRefused() throws {
        var configuration = configuration(epochs: 1)
        configuration.rule = RuleSpec(NodePerturbationSettings(noise: 0.05, solver: .exact))
        let trainer = try Trainer(configuration: configuration, data: Self.digits)
        var checkpoint = trainer.checkpoint
        let names = checkpoint.ruleState.map(\.name)
        #expect(names == ["B2", "B3", "gram2", "gram3", "cross2", "cross3"])
        checkpoint.ruleState[0].name = "cross2"
        checkpoint.ruleState[4].name = "B2"
        var other = try Trainer(configuration: configuration, data: Self.digits)
        #expect(throws: TrainingError.self) { try other.restore(checkpoint) }
        checkpoint.ruleState[0].name = "B2"
        checkpoint.ruleState[4].name = "cross2"
        try other.restore(checkpoint)
        #expect(other.rule.state == trainer.rule.state)
    }

    @Test func aCorruptCheckpointIsRefusedWithItsName() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trainer = try Trainer(configuration: configuration(), data: Self.digits)
        try trainer.checkpoint.write(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        #expect {
            try Checkpoint.read(from: path)
        } throws: { error in
            "\(error)".hasPrefix(path + ": cannot resume: truncated")
        }
    }

    @Test func aDivergingLossStopsTrainingWithAClearError() throws {
        var settings = configuration(optimizer: .sgd)
        settings.learningRate = 1e38
        var trainer = try Trainer(configuration: settings, data: Self.digits)
        #expect {
            try trainer.trainEpoch()
        } throws: { error in
            guard case .diverged(epoch: 1, _, _, learningRate: 1e38)? = error as? TrainingError else { return false }
            return "\(error)".contains("try a smaller --lr")
        }
    }

    /// A weight gone NaN must surface as a diverged run, whatever the units: the activations'
    /// saturating clamps once turned it into a constant unit and training went on with a finite loss.
    @Test(arguments: [Activation.tanh, .sigmoid, .relu, .identity])
    func aNaNWeightStopsTrainingWhateverTheUnits(_ activation: Activation) throws {
        var settings = configuration(optimizer: .sgd)
        settings.activation = activation
        var trainer = try Trainer(configuration: settings, data: Self.digits)
        trainer.network.layers[0].weights[0, 0] = .nan
        #expect {
            try trainer.trainEpoch()
        } throws: { error in
            guard case .diverged(epoch: 1, batch: 1, let loss, _)? = error as? TrainingError else { return false }
            return loss.isNaN
        }
    }

    @Test func everyActivationKeepsNaN() {
        var input = Matrix(rows: 1, columns: 11)  // 8 lanes and a tail of 3
        input[0, 2] = .nan
        input[0, 9] = .nan
        for activation in Activation.allCases {
            var output = Matrix(rows: 1, columns: 11)
            activation.apply(input, into: &output, positiveUnits: 5)
            #expect(output[0, 2].isNaN && output[0, 9].isNaN, "\(activation)")
            #expect((0..<11).filter { $0 != 2 && $0 != 9 }.allSatisfy { output[0, $0].isFinite }, "\(activation)")
            if activation != .mixedRectifier { #expect(activation.value(.nan).isNaN, "\(activation)") }
        }
    }

    @Test func anEmptyPartOfTheDataIsRefusedNotBlamedOnTheBatchSize() {
        let one = Dataset(name: "a", count: 1, featureCount: 2, features: .floats([1, 2]), targets: .classes([0], classCount: 2))
        let none = Dataset(name: "b", count: 0, featureCount: 2, features: .floats([]), targets: .classes([], classCount: 2))
        for split in [DataSplit(train: none, test: one, source: "mine"), DataSplit(train: one, test: none, source: "mine")] {
            #expect {
                _ = try Trainer(configuration: TrainingConfiguration(hiddenLayers: [4], batchSize: 1), data: split)
            } throws: { error in
                (error as? ConfigurationError)?.field == "data"
            }
        }
    }

    @Test func nonsenseSettingsAreRejectedNamingTheField() {
        func rejects(_ change: (inout TrainingConfiguration) -> Void, field: String) {
            var settings = configuration()
            change(&settings)
            #expect {
                _ = try Trainer(configuration: settings, data: Self.digits)
            } throws: { error in
                guard case .invalid(field: field, _, _)? = error as? ConfigurationError else { return false }
                return true
            }
        }
        rejects({ $0.learningRate = -0.1 }, field: "learningRate")
        rejects({ $0.learningRate = .nan }, field: "learningRate")
        rejects({ $0.batchSize = 5000 }, field: "batchSize")
        rejects({ $0.batchSize = 0 }, field: "batchSize")
        rejects({ $0.hiddenLayers = [32, 0] }, field: "hiddenLayers")
        rejects({ $0.epochs = 0 }, field: "epochs")
        rejects({ $0.momentum = 1 }, field: "momentum")
        rejects({ $0.initializer = "gaussian" }, field: "initializer")
        rejects({ $0.outputActivation = .sigmoid }, field: "outputActivation")
        // Checked before anything is allocated, with the memory it would take in the message.
        rejects({ $0.hiddenLayers = [4_000_000_000] }, field: "hiddenLayers")
        rejects({ $0.hiddenLayers = [1 << 40, 1 << 40] }, field: "hiddenLayers")
    }

    @Test func backpropLearnsTheDigits() throws {
        var settings = configuration(epochs: 15)
        settings.hiddenLayers = [64]
        var trainer = try Trainer(configuration: settings, data: Self.digits)
        for _ in 0..<15 { try trainer.trainEpoch() }
        let last = try #require(trainer.history.last)
        #expect(last.testError < 0.08, "test error \(last.testError)")
        #expect(last.trainLoss < trainer.history[0].trainLoss / 4)
    }
}

@Suite("Optimizers")
struct OptimizerTests {
    /// A network, a batch and the gradients the shared local update forms for it.
    func setup() -> (Network, Workspace) {
        var random = RandomSource(seed: 5)
        let network = Network(architecture: Architecture(sizes: [6, 5, 3], hiddenActivation: .tanh), initializer: .xavier, random: &random)
        var target = Matrix(rows: 4, columns: 3)
        for r in 0..<4 { target[r, r % 3] = 1 }
        var rule = Backpropagation()
        return (network, ruleGradients(network: network, rule: &rule, loss: .crossEntropy, input: randomMatrix(4, 6, &random), target: target))
    }

    @Test func sgdAndMomentumStepsFollowTheirFormulas() {
        let (start, workspace) = setup()
        let eta: Float = 0.1, mu: Float = 0.9
        for kind in [OptimizerKind.sgd, .momentum] {
            var network = start
            var scratch = workspace
            var optimizer = Optimizer(settings: OptimizerSettings(kind: kind, momentum: mu), learningRate: eta, network: network)
            optimizer.step(&network, rule: Backpropagation(), workspace: &scratch, backend: .portable)
            optimizer.step(&network, rule: Backpropagation(), workspace: &scratch, backend: .portable)   // same credits twice
            for ℓ in network.layers.indices {
                // Two steps with gradient g: SGD moves −2ηg; momentum moves −ηg − (μηg + ηg).
                let factor: Float = kind == .sgd ? 2 : 2 + mu
                let expected = zip(start.layers[ℓ].weights.elements, workspace.weightGradients[ℓ].elements).map { Double($0 - factor * eta * $1) }
                #expect(relativeError(network.layers[ℓ].weights.doubles, expected) < 1e-6, "\(kind) layer \(ℓ)")
                let expectedBias = zip(start.layers[ℓ].biases.elements, workspace.biasGradients[ℓ].elements).map { Double($0 - factor * eta * $1) }
                #expect(relativeError(network.layers[ℓ].biases.doubles, expectedBias, floor: 1e-3) < 1e-6, "\(kind) bias \(ℓ)")
            }
        }
    }

    @Test func adamsFirstStepIsTheLearningRateAgainstTheGradientSign() {
        let (start, workspace) = setup()
        var network = start
        var scratch = workspace
        var optimizer = Optimizer(settings: OptimizerSettings(kind: .adam), learningRate: 0.01, network: network)
        optimizer.step(&network, rule: Backpropagation(), workspace: &scratch, backend: .portable)
        for ℓ in network.layers.indices {
            for (i, g) in workspace.weightGradients[ℓ].elements.enumerated() where abs(g) > 1e-4 {
                let moved = network.layers[ℓ].weights.storage[i] - start.layers[ℓ].weights.storage[i]
                #expect(abs(moved + 0.01 * (g > 0 ? 1 : -1)) < 1e-4)
            }
        }
    }
}

@Suite("Resuming mixed-rectifier runs")
struct MixedRectifierResumeTests {
    /// A mixed-rectifier network (Kickback's) keeps its negative units through a checkpoint: the
    /// resumed run equals the uninterrupted one.
    @Test func aResumedKickbackRunEqualsTheUninterruptedOne() throws {
        let configuration = TrainingConfiguration(hiddenLayers: [12, 8], activation: .mixedRectifier, rule: .kickback(scales: .fixed([0.5])),
                                                  epochs: 2, batchSize: 50, learningRate: 0.01, optimizer: .sgd, initializer: "signed:0.1")
        var straight = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        for _ in 0..<2 { try straight.trainEpoch() }
        var first = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        try first.trainEpoch()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-kickback-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try first.checkpoint.write(to: path)
        var resumed = try Trainer(configuration: configuration, data: TrainerTests.digits, backend: .portable)
        try resumed.restore(Checkpoint.read(from: path))
        #expect(resumed.network.layers.map(\.positiveUnits) == straight.network.layers.map(\.positiveUnits))
        try resumed.trainEpoch()
        #expect(resumed.network == straight.network)
    }
}
