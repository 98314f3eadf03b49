import Benchmark
import CreditKit

/// One training step (forward, loss, credit assignment, update, optimizer) of the workloads the
/// foundation issue names, on synthetic MNIST-shaped data so that the benchmark needs no files.
///
/// Each workload runs twice: on the run-time BLAS (the speed figure), and on the portable kernels
/// with a malloc threshold of zero, which fails the run if the step allocates. The allocation check
/// uses the portable kernels because OpenBLAS 0.3.21's worker threads malloc a 512 KB buffer per
/// threaded call inside the library (measured with `--allocation-stacks`; none with
/// `OPENBLAS_NUM_THREADS=1`) — not something CreditKit's code can or should count against itself.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(3))

    let workloads: [(name: String, layers: [Int], activation: Activation, loss: Loss, output: Activation?, batch: Int, optimizer: OptimizerKind,
                     rule: RuleSpec)] = [
        ("784-800-800-10 tanh, batch 128, momentum", [800, 800], .tanh, .crossEntropy, nil, 128, .momentum, .backprop),
        ("784-800-800-10 tanh, batch 32, momentum", [800, 800], .tanh, .crossEntropy, nil, 32, .momentum, .backprop),
        ("784-50-20-10 sigmoid MSE, batch 32, sgd", [50, 20], .sigmoid, .squaredError, .sigmoid, 32, .sgd, .backprop),
        ("784-800-800-10 tanh, batch 128, adam", [800, 800], .tanh, .crossEntropy, nil, 128, .adam, .backprop),
        // Node perturbation: the second, noisy pass and the feedback's least-squares step.
        ("784-50-20-10 sigmoid MSE, batch 32, sgd, node perturbation", [50, 20], .sigmoid, .squaredError, .sigmoid, 32, .sgd,
         .nodePerturbation),
        // Activity differences: NGRAD through the transposes, DTP and DRL with their inverses' training.
        ("784-5x256-10 tanh, batch 128, adam, ngrad", Array(repeating: 256, count: 5), .tanh, .crossEntropy, nil, 128, .adam,
         .activityDifference),
        ("784-5x256-10 tanh, batch 128, adam, dtp", Array(repeating: 256, count: 5), .tanh, .crossEntropy, nil, 128, .adam,
         .differenceTargetPropagation),
        ("784-5x256-10 tanh, batch 128, adam, drl", Array(repeating: 256, count: 5), .tanh, .crossEntropy, nil, 128, .adam,
         RuleSpec(argument: "drl")!),
        // Settling networks: every relaxation step is batched GEMMs into buffers made once.
        ("784-500-10 hard-sigmoid MSE, batch 20, sgd, eqprop", [500], .hardSigmoid, .squaredError, .hardSigmoid, 20, .sgd,
         .equilibriumPropagation),
        ("784-500-10 hard-sigmoid MSE, batch 20, sgd, chl", [500], .hardSigmoid, .squaredError, .hardSigmoid, 20, .sgd,
         RuleSpec(argument: "chl")!),
        ("784-500-10 hard-sigmoid MSE, batch 20, sgd, pc", [500], .hardSigmoid, .squaredError, .hardSigmoid, 20, .sgd,
         .predictiveCoding),
    ]
    let backends: [(label: String, backend: LinearAlgebraBackend, thresholds: [BenchmarkMetric: BenchmarkThresholds]?)] = [
        ("", .shared, nil),
        (" [portable kernels, no-allocation check]", .portable, [.mallocCountTotal: .init(absolute: [.p100: 0])]),
    ]
    // Kickback on the paper's robot-regression net (synthetic SARCOS-shaped data).
    for variant in backends {
        Benchmark("training step 21-10-100-200-2 kickback rectilinear, batch 20\(variant.label)",
                  configuration: .init(thresholds: variant.thresholds)) { benchmark in
            var random = RandomSource(seed: 1)
            let count = 1000
            let set = Dataset(name: "synthetic", count: count, featureCount: 21,
                              features: .floats((0..<(count * 21)).map { _ in random.normal() }),
                              targets: .values((0..<count).map { _ in random.normal() }, width: 1))
            let configuration = TrainingConfiguration(
                dataset: .sarcos, hiddenLayers: [10, 100, 200], activation: .mixedRectifier, loss: .rectilinear,
                rule: .kickback(scales: .fixed([0.5, 0.1])), epochs: 1, batchSize: 20, learningRate: 0.01, optimizer: .sgd,
                initializer: "signed:0.1")
            var trainer = try Trainer(configuration: configuration, data: DataSplit(train: set, test: set, source: "synthetic"),
                                      backend: variant.backend)
            var stepRandom = RandomSource(seed: 2)
            trainer.model.step(0..<20, random: &stepRandom)  // first touch of every buffer
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                let b = i % (count / 20)
                blackHole(trainer.model.step((b * 20)..<((b + 1) * 20), random: &stepRandom))
            }
        }
    }

    for workload in workloads {
        for variant in backends {
            Benchmark("training step \(workload.name)\(variant.label)",
                      configuration: .init(thresholds: variant.thresholds)) { benchmark in
                var random = RandomSource(seed: 1)
                let count = 1024
                let images = (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let labels = (0..<count).map { _ in UInt8(random.next() % 10) }
                let set = Dataset(name: "synthetic", count: count, featureCount: 784,
                                  features: .bytes(images, scale: 1 / 255), targets: .classes(labels, classCount: 10))
                let configuration = TrainingConfiguration(
                    dataset: .mnist, hiddenLayers: workload.layers, activation: workload.activation, outputActivation: workload.output,
                    loss: workload.loss, rule: workload.rule, epochs: 1, batchSize: workload.batch, learningRate: 0.01,
                    optimizer: workload.optimizer)
                var trainer = try Trainer(configuration: configuration, data: DataSplit(train: set, test: set, source: "synthetic"),
                                          backend: variant.backend)
                var stepRandom = RandomSource(seed: 2)
                let batches = count / workload.batch
                trainer.model.step(0..<workload.batch, random: &stepRandom)  // first touch of every buffer
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    let b = i % batches
                    blackHole(trainer.model.step((b * workload.batch)..<((b + 1) * workload.batch), random: &stepRandom))
                }
            }
        }
    }

    // The recurrent rules on the 50-unit net: one window of 7 steps over 20 streams of delayed XOR
    // (divide by 7 for the cost per step). Truncated BPTT sends credit back through the window;
    // e-prop and RFLO carry traces forward (O(H²) per step and stream); RTRL carries sensitivities
    // (O(H⁴): the reference, not a contender).
    let recurrentRules: [(name: String, rule: RuleSpec, leak: Float?)] = [
        ("truncated bptt", .backprop, nil),
        ("truncated bptt, leak 0.1", .backprop, 0.1),
        ("eprop", RuleSpec(argument: "eprop")!, nil),
        ("rflo, leak 0.1", RuleSpec(argument: "rflo")!, 0.1),
        ("rtrl", RuleSpec(argument: "rtrl")!, nil),
    ]
    for workload in recurrentRules {
        for variant in backends {
            Benchmark("rnn window 3-50-1 tanh, 20 streams × 7 steps, sgd, \(workload.name)\(variant.label)",
                      configuration: .init(thresholds: variant.thresholds)) { benchmark in
                var configuration = RecurrentConfiguration()
                configuration.rule = workload.rule
                configuration.leak = workload.leak
                configuration.stepsPerEpoch = 7 * 200
                var model = try RecurrentModel(configuration.validated(), backend: variant.backend)
                var random = RandomSource(seed: 2)
                model.beginEpoch(0, random: &random)
                blackHole(model.trainBatch(0, random: &random))  // first touch of every buffer
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    blackHole(model.trainBatch(1 + i % (model.batchesPerEpoch - 1), random: &random))
                }
            }
        }
    }
}
