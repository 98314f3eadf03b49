import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput of a model (same flags as `train`) beside the GEMM-only rate of its step.",
        discussion: """
        Times full training steps (forward, loss, credit assignment, update, optimizer) on real batches \
        of the dataset and reports the median over repeats: samples/s and achieved GFLOP/s. Then it \
        replays exactly the matrix products of one step, with the same shapes, on their own: the \
        GEMM-only rate is the ceiling for this step on this backend.

        """ + "\n" + RuleRegistry.optionsHelp)

    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "Training steps per timed repeat.")
    var steps: Int = 100

    @Option(parsing: .unconditional, help: "Timed repeats (the median is reported).")
    var repeats: Int = 7

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps: expected a positive number of steps, found '\(steps)'") }
        guard repeats > 0 else { throw ValidationError("--repeats: expected a positive number of repeats, found '\(repeats)'") }
        _ = try model.configuration(epochs: 1)
    }

    func run() throws {
        do {
            try bench()
        } catch {
            throw Console.fail(error)
        }
    }

    private func bench() throws {
        let configuration = try model.configuration(epochs: 1)
        let data = try DatasetCatalog.load(configuration.dataset, locator: model.locator)
        let backend = LinearAlgebraBackend.shared
        // Every product of the timed steps is timed too (two clock reads each): how much of a step
        // is spent inside them, against the same products replayed on their own.
        let clock = GEMMRecorder(timing: true)
        var trainer = try Trainer(configuration: configuration, data: data, backend: backend.recording(into: clock))
        let batch = configuration.batchSize
        var random = RandomSource(seed: configuration.seed, stream: 99)
        let batchCount = data.train.count / batch
        func batchIndices(_ s: Int) -> Range<Int> { let b = s % batchCount; return (b * batch)..<((b + 1) * batch) }

        // Record the products of one step.
        let recorder = GEMMRecorder()
        var probe = try Trainer(configuration: configuration, data: data, backend: backend.recording(into: recorder))
        probe.model.step(0..<batch, random: &random)
        let shapes = recorder.shapes
        let flopsPerStep = shapes.reduce(0) { $0 + $1.flops }

        Console.status("\(trainer.architecture), rule \(trainer.rule.name), batch \(batch), \(configuration.optimizer.rawValue); "
                       + "GEMM: \(backend.name)\(backend.coreType.map { " (\($0))" } ?? ""), threads \(backend.threads.map(String.init) ?? "?"); "
                       + "elementwise: \(VectorKernels.level == .baseline ? "portable" : VectorKernels.level.description)")
        for s in 0..<max(steps / 5, 3) { trainer.model.step(batchIndices(s), random: &random) }  // warm-up
        // Alternate the two measurements so that the machine's noise falls on both alike.
        let replay = GEMMReplay(shapes, backend: backend)
        replay.run(times: max(steps / 5, 3))
        var stepTimes: [Double] = [], gemmTimes: [Double] = [], inProducts: [Double] = []
        for r in 0..<repeats {
            clock.resetTime()
            let start = DispatchTime.now().uptimeNanoseconds
            for s in 0..<steps { trainer.model.step(batchIndices(r * steps + s), random: &random) }
            stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps))
            inProducts.append(clock.timeInProducts / Double(steps))
            gemmTimes.append(replay.secondsPerRun(times: steps))
        }
        let step = median(stepTimes), gemm = median(gemmTimes), productsInStep = median(inProducts)

        Console.out("workload                     samples/s     GFLOP/s   ms/step")
        Console.out(row("training step", Double(batch) / step, flopsPerStep / step / 1e9, step * 1e3))
        Console.out(row("GEMMs alone (\(shapes.count) products)", Double(batch) / gemm, flopsPerStep / gemm / 1e9, gemm * 1e3))
        Console.out(String(format: "training runs at %.0f%% of the GEMM-only rate; %.1f MFLOP per step", 100 * gemm / step, flopsPerStep / 1e6))
        Console.out(String(format: "within a step: %.3f ms in the products, %.3f ms outside them (measured on their own: %.3f ms)",
                           productsInStep * 1e3, max(0, step - productsInStep) * 1e3, gemm * 1e3))
        // Every product of the step, by shape, and the kernel that ran it.
        Console.out("products of one step (C m×n = op(A) m×k · op(B) k×n), all by \(backend.kernelDescription):")
        var counts: [(shape: GEMMShape, count: Int)] = []
        for shape in shapes {
            if let i = counts.firstIndex(where: { $0.shape == shape }) { counts[i].count += 1 } else { counts.append((shape, 1)) }
        }
        for (shape, count) in counts {
            let ops = "\(shape.transA == .none ? "A" : "Aᵀ")·\(shape.transB == .none ? "B" : "Bᵀ")"
            Console.out(String(format: "  %5d×%-5d k %-5d %@%@  ×%d", shape.m, shape.n, shape.k, ops, shape.beta == 0 ? "" : " + C", count))
        }
        for line in HeldBackBLAS.report(backend) { Console.out(line) }
    }

    private func row(_ name: String, _ samples: Double, _ gflops: Double, _ ms: Double) -> String {
        name.padding(toLength: 26, withPad: " ", startingAt: 0)
            + grouped(samples).leftPadded(to: 13) + String(format: "%12.1f%10.3f", gflops, ms)
    }
}

/// The matrix products of one training step, replayed on their own with buffers of the same shapes.
final class GEMMReplay {
    private let shapes: [GEMMShape]
    private let backend: LinearAlgebraBackend
    private let operands: [(Matrix, Matrix)]
    private var outputs: [Matrix]

    init(_ shapes: [GEMMShape], backend: LinearAlgebraBackend) {
        self.shapes = shapes
        self.backend = backend
        var random = RandomSource(seed: 7)
        func filled(_ rows: Int, _ columns: Int) -> Matrix { Matrix(rows: rows, columns: columns) { _, _ in random.uniform(-1, 1) } }
        operands = shapes.map { s in
            (s.transA == .none ? filled(s.m, s.k) : filled(s.k, s.m), s.transB == .none ? filled(s.k, s.n) : filled(s.n, s.k))
        }
        outputs = shapes.map { Matrix(rows: $0.m, columns: $0.n) }
    }

    func run(times: Int) {
        for _ in 0..<times {
            for (i, s) in shapes.enumerated() {
                backend.gemm(operands[i].0, s.transA, operands[i].1, s.transB, into: &outputs[i], beta: s.beta)
            }
        }
    }

    func secondsPerRun(times: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        run(times: times)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(times)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
