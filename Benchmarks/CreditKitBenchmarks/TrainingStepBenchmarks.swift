import Benchmark
import CreditKit

/// One training step (forward, loss, credit assignment, update, optimizer) of the workloads the
/// foundation issue names, on synthetic MNIST-shaped data so that the benchmark needs no files.
/// The malloc counters prove the step allocates nothing: the thresholds fail the run otherwise.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(3),
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])])

    let workloads: [(name: String, layers: [Int], activation: Activation, loss: Loss, output: Activation?, batch: Int, optimizer: OptimizerKind)] = [
        ("784-800-800-10 tanh, batch 128, momentum", [800, 800], .tanh, .crossEntropy, nil, 128, .momentum),
        ("784-800-800-10 tanh, batch 32, momentum", [800, 800], .tanh, .crossEntropy, nil, 32, .momentum),
        ("784-50-20-10 sigmoid MSE, batch 32, sgd", [50, 20], .sigmoid, .squaredError, .sigmoid, 32, .sgd),
        ("784-800-800-10 tanh, batch 128, adam", [800, 800], .tanh, .crossEntropy, nil, 128, .adam),
    ]
    for workload in workloads {
        Benchmark("training step \(workload.name)") { benchmark in
            var random = RandomSource(seed: 1)
            let count = 1024
            let images = (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let labels = (0..<count).map { _ in UInt8(random.next() % 10) }
            let set = Dataset(name: "synthetic", count: count, featureCount: 784,
                              features: .bytes(images, scale: 1 / 255), targets: .classes(labels, classCount: 10))
            let configuration = TrainingConfiguration(
                dataset: .mnist, hiddenLayers: workload.layers, activation: workload.activation, outputActivation: workload.output,
                loss: workload.loss, epochs: 1, batchSize: workload.batch, learningRate: 0.01, optimizer: workload.optimizer)
            var trainer = try Trainer(configuration: configuration, data: DataSplit(train: set, test: set, source: "synthetic"))
            var stepRandom = RandomSource(seed: 2)
            let batches = count / workload.batch
            trainer.step(0..<workload.batch, random: &stepRandom)  // first touch of every buffer
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                let b = i % batches
                blackHole(trainer.step((b * workload.batch)..<((b + 1) * workload.batch), random: &stepRandom))
            }
        }
    }
}
