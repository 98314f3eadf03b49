import ArgumentParser
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
        """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Training steps per timed repeat.")
    var steps: Int = 100

    @Option(help: "Timed repeats (the median is reported).")
    var repeats: Int = 7

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps: expected a positive number of steps, found '\(steps)'") }
        guard repeats > 0 else { throw ValidationError("--repeats: expected a positive number of repeats, found '\(repeats)'") }
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
        var trainer = try Trainer(configuration: configuration, data: data, backend: backend)
        let batch = configuration.batchSize
        var random = RandomSource(seed: configuration.seed, stream: 99)
        let batchCount = data.train.count / batch
        func batchIndices(_ s: Int) -> Range<Int> { let b = s % batchCount; return (b * batch)..<((b + 1) * batch) }

        // Record the products of one step.
        let recorder = GEMMRecorder()
        var probe = try Trainer(configuration: configuration, data: data, backend: backend.recording(into: recorder))
        probe.step(0..<batch, random: &random)
        let shapes = recorder.shapes
        let flopsPerStep = shapes.reduce(0) { $0 + $1.flops }

        Console.status("\(trainer.architecture), rule \(trainer.rule.name), batch \(batch), \(configuration.optimizer.rawValue); "
                       + "GEMM: \(backend.name)\(backend.coreType.map { " (\($0))" } ?? ""), threads \(backend.threads.map(String.init) ?? "?")")
        for s in 0..<max(steps / 5, 3) { trainer.step(batchIndices(s), random: &random) }  // warm-up
        var stepTimes: [Double] = []
        for r in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            for s in 0..<steps { trainer.step(batchIndices(r * steps + s), random: &random) }
            stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps))
        }
        let gemmTimes = Self.timeGEMMs(shapes, backend: backend, steps: steps, repeats: repeats)
        let step = median(stepTimes), gemm = median(gemmTimes)

        Console.out("workload                     samples/s     GFLOP/s   ms/step")
        Console.out(row("training step", Double(batch) / step, flopsPerStep / step / 1e9, step * 1e3))
        Console.out(row("GEMMs alone (\(shapes.count) products)", Double(batch) / gemm, flopsPerStep / gemm / 1e9, gemm * 1e3))
        Console.out(String(format: "training runs at %.0f%% of the GEMM-only rate; %.1f MFLOP per step", 100 * gemm / step, flopsPerStep / 1e6))
    }

    private func row(_ name: String, _ samples: Double, _ gflops: Double, _ ms: Double) -> String {
        name.padding(toLength: 26, withPad: " ", startingAt: 0)
            + grouped(samples).leftPadded(13) + String(format: "%12.1f%10.3f", gflops, ms)
    }

    /// Times the recorded products alone, on buffers of their shapes.
    static func timeGEMMs(_ shapes: [GEMMShape], backend: LinearAlgebraBackend, steps: Int, repeats: Int) -> [Double] {
        var random = RandomSource(seed: 7)
        let operands = shapes.map { s -> (Matrix, Matrix, Matrix) in
            let a = s.transA == .none ? Matrix(rows: s.m, columns: s.k) { _, _ in random.uniform(-1, 1) }
                                      : Matrix(rows: s.k, columns: s.m) { _, _ in random.uniform(-1, 1) }
            let b = s.transB == .none ? Matrix(rows: s.k, columns: s.n) { _, _ in random.uniform(-1, 1) }
                                      : Matrix(rows: s.n, columns: s.k) { _, _ in random.uniform(-1, 1) }
            return (a, b, Matrix(rows: s.m, columns: s.n))
        }
        var outputs = operands.map(\.2)
        func once() {
            for (i, s) in shapes.enumerated() {
                backend.gemm(operands[i].0, s.transA, operands[i].1, s.transB, into: &outputs[i], beta: s.beta)
            }
        }
        for _ in 0..<max(steps / 5, 3) { once() }
        return (0..<repeats).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { once() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        }
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
