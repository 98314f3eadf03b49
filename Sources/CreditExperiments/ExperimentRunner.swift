import CreditKit
import Foundation

/// One run of an experiment with every seed it was trained on.
public struct ExperimentOutcome: Sendable {
    /// One seed's run at its last finished epoch.
    public struct Seed: Sendable {
        /// The seed.
        public var seed: UInt64
        /// Every finished epoch.
        public var history: [EpochRecord]
        /// The trainer of a feed-forward run (for reconstructions, latent codes and tests); `nil`
        /// for a recurrent run.
        public var feedForward: Trainer<FeedForwardModel>?
        /// Why it stopped early, if it did.
        public var failure: String?
    }
    /// The configuration.
    public var run: ExperimentRun
    /// Every seed it was trained on, in order.
    public var seeds: [Seed]
}

/// Runs a paper's experiment: every run with every seed (each in its own run directory, resumed
/// if interrupted, a divergence reported rather than fatal), then the table of the paper's figure
/// beside ours, results.csv and the charts. Reports everything as ``RunEvent``s.
public struct ExperimentRunner: Sendable {
    /// The output directory; `runs/<experiment>` when `nil`.
    public var root: String?
    /// Training epochs; the experiment's own when `nil`.
    public var epochs: Int?
    /// Every run on seeds s, s+1, …, s+seeds−1 (mean ± standard error over them).
    public var seeds: Int
    /// Only the runs of these models (rows of the paper's table), when given.
    public var models: Set<String>?
    /// Only the runs of these robot joints, when given.
    public var joints: Set<Int>?
    /// Only the runs of these variants (rules or settings), when given: with another process
    /// running the rest into the same folder, an experiment uses both cores; a last run without
    /// the choice picks every finished run up without training and writes the whole table.
    public var variants: Set<String>?
    /// Where the data are found.
    public var locator: DataLocator

    /// A runner; every choice defaults to the experiment's own.
    public init(root: String? = nil, epochs: Int? = nil, seeds: Int = 1, models: Set<String>? = nil, joints: Set<Int>? = nil,
                variants: Set<String>? = nil, locator: DataLocator = DataLocator()) {
        self.root = root
        self.epochs = epochs
        self.seeds = seeds
        self.models = models
        self.joints = joints
        self.variants = variants
        self.locator = locator
    }

    /// Where a run with one of its seeds lives: the experiment's own seed in the run's folder —
    /// whether or not `--seeds` is given, so that asking for more seeds later trains only the new
    /// ones — and the others beside it, `<run>-seed<N>`. (A first seed trained by an earlier
    /// version under `-seed<N>` is still found there.)
    static func directory(of run: ExperimentRun, root: String, seed: UInt64, offset: Int, seeds: Int) -> String {
        let plain = root + "/" + run.directoryName, suffixed = plain + "-seed\(seed)"
        if seeds == 1 { return plain }
        guard offset == 0 else { return suffixed }
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }
        return exists(suffixed) && !exists(plain) ? suffixed : plain
    }

    /// An experiment: every run (with every seed in turn), then the table of paper vs ours — over
    /// several seeds, mean ± standard error of the final and best test figure —, results.csv (one
    /// row per run and seed) and the charts. The loss and error curves are the mean over the
    /// seeds; the diagnostics, latent space and reconstructions are the first seed's. A run that
    /// diverges ends there and is counted as such, left out of the means.
    @discardableResult
    public func run(_ experiment: Experiment, events: (RunEvent) -> Void = { _ in }) throws -> [ExperimentOutcome] {
        let root = self.root ?? "runs/\(experiment.name)"
        let planned = plan(experiment)
        events(.status("\(experiment.name): \(planned.count) runs\(seeds == 1 ? "" : " × \(seeds) seeds") — \(experiment.source)"))
        var loaded: [DatasetName: DataSplit] = [:]
        var seeded: [(run: ExperimentRun, trainers: [ExperimentOutcome.Seed])] = []
        for (run, instances) in planned {
            var trainers: [ExperimentOutcome.Seed] = []
            for instance in instances {
                let (configuration, seed) = (instance.specification, instance.specification.seed)
                let directory = RunDirectory(path: root + "/" + instance.directory)
                let label = seeds == 1 ? run.label : "\(run.label) seed \(seed)"
                switch configuration {
                case .feedForward(let configuration):
                    let data = try loaded[configuration.dataset] ?? DatasetCatalog.load(configuration.dataset, locator: locator)
                    loaded[configuration.dataset] = data
                    let (trainer, failure) = try RunSession.run(configuration, data: data, in: directory, label: label,
                                                                stopOnDivergence: true, events: events)
                    trainers.append(.init(seed: seed, history: trainer.history, feedForward: trainer, failure: failure))
                case .recurrent(let configuration):
                    let (trainer, failure) = try RunSession.run(configuration, in: directory, label: label, stopOnDivergence: true,
                                                                events: events)
                    trainers.append(.init(seed: seed, history: trainer.history, feedForward: nil, failure: failure))
                }
            }
            seeded.append((run, trainers))
        }
        try report(experiment, seeded: seeded, root: root, events: events)
        return seeded.map { ExperimentOutcome(run: $0.run, seeds: $0.trainers) }
    }

    /// One planned training of a run: its configuration with the seed and epochs set, and its
    /// directory relative to the experiment's root.
    public struct Instance: Sendable {
        /// The configuration to train.
        public var specification: RunSpecification
        /// `<model>-<variant>` or `<model>-<variant>-seed<N>`.
        public var directory: String
    }

    /// The experiment's runs that the choices keep, each with its seeds: what `run` trains and a
    /// sweep writes out.
    public func plan(_ experiment: Experiment) -> [(run: ExperimentRun, instances: [Instance])] {
        let root = self.root ?? "runs/\(experiment.name)"
        let runs = experiment.runs(models: models).filter { run in
            (joints.map { chosen in run.configuration.feedForward?.joint.map(chosen.contains) ?? true } ?? true)
                && (variants?.contains(run.variant) ?? true)
        }
        return runs.map { run in
            (run, (0..<seeds).map { s in
                let specification = run.configuration.withEpochs(epochs ?? experiment.defaultEpochs, seedOffset: s)
                let path = Self.directory(of: run, root: root, seed: specification.seed, offset: s, seeds: seeds)
                return Instance(specification: specification, directory: String(path.dropFirst(root.count + 1)))
            })
        }
    }

    /// The table of the paper's figure beside ours over `seeded` (each run with the histories of
    /// its seeds), results.csv, feedback.csv and the charts, into `root`; reconstructions and
    /// latent codes where the seeds carry their trainers.
    public func report(_ experiment: Experiment, seeded: [(run: ExperimentRun, trainers: [ExperimentOutcome.Seed])], root: String,
                       events: (RunEvent) -> Void) throws {
        let runs = seeded.map(\.run)
        let seeds = seeded.map(\.trainers.count).max() ?? 1
        let firstSeed = seeded.map { (run: $0.run, history: $0.trainers[0].history) }
        let feedForward = seeded.compactMap { row in row.trainers[0].feedForward.map { (run: row.run, trainer: $0) } }

        // Autoencoders have no error rate: their figure is the test loss per image.
        let byLoss = runs.first?.configuration.feedForward?.autoencoder == true || experiment.measure == .testLoss
        func finalFigure(_ history: [EpochRecord]) -> Double { byLoss ? history.last?.testLoss ?? .nan : history.last?.testError ?? .nan }
        func bestFigure(_ history: [EpochRecord]) -> Double {
            let figures = history.map { byLoss ? $0.testLoss : $0.testError }.filter { !$0.isNaN }
            return figures.min() ?? .nan
        }
        func show(_ values: [Double]) -> String {
            let spread = MeanAndStandardError(values)
            guard spread.count > 0 else { return "diverged" }
            let mean = byLoss ? String(format: "%.4g", spread.mean) : percent(spread.mean)
            guard values.count > 1 else { return mean }
            return mean + " ± " + (byLoss ? String(format: "%.2g", spread.standardError) : String(format: "%.2f", 100 * spread.standardError))
        }
        events(.output(""))
        events(.output("\(experiment.name) — \(experiment.source)" + (seeds == 1 ? "" : " — mean ± standard error over \(seeds) seeds")))
        let width = seeds == 1 ? 15 : 22
        // Columns as wide as the longest label (a random search's variants name every sampled flag).
        let (modelWidth, variantWidth) = Self.labelWidths(seeded.map(\.run))
        events(.output("model".padding(toLength: modelWidth, withPad: " ", startingAt: 0) + "variant".padding(toLength: variantWidth, withPad: " ", startingAt: 0)
                    + "paper       " + "ours (final)".padding(toLength: width, withPad: " ", startingAt: 0) + "ours (best)"))
        let measure = byLoss ? "test_loss" : "test_error_percent"
        var csv = ["model,variant,seed,paper_\(measure),final_\(measure),best_\(measure),epochs,outcome"]
        for (run, trainers) in seeded {
            let paper = run.paperTestError.map { String(format: byLoss ? "%.3g" : "%.2f%%", $0) } ?? "—"
            let completed = trainers.filter { $0.failure == nil }.map(\.history)
            let diverged = trainers.count - completed.count
            events(.output(run.model.padding(toLength: modelWidth, withPad: " ", startingAt: 0)
                        + run.variant.padding(toLength: variantWidth, withPad: " ", startingAt: 0)
                        + paper.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + show(completed.map(finalFigure)).padding(toLength: width, withPad: " ", startingAt: 0)
                        + show(completed.map(bestFigure))
                        + (diverged > 0 && !completed.isEmpty ? "   (\(diverged) of \(trainers.count) diverged)" : "")))
            let scale = byLoss ? 1.0 : 100.0
            for outcome in trainers {
                let (seed, history, failure) = (outcome.seed, outcome.history, outcome.failure)
                csv.append("\(run.model),\(run.variant),\(seed),\(run.paperTestError.map { "\($0)" } ?? ""),"
                           + "\(Self.csvNumber(scale * finalFigure(history))),\(Self.csvNumber(scale * bestFigure(history))),\(history.count),"
                           + "\"\(failure.map { "diverged: " + $0.replacingOccurrences(of: "\"", with: "'") } ?? "completed")\"")
            }
        }
        for (run, trainers) in seeded {
            for outcome in trainers where outcome.failure != nil {
                events(.output("  \(run.label) seed \(outcome.seed): stopped after \(outcome.history.count) epochs — \(outcome.failure!)"))
            }
        }
        for note in Set(runs.compactMap(\.paperNote)).sorted() { events(.output("paper: \(note)")) }
        try writeFeedbackTable(firstSeed, to: root, events: events)
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/results.csv")
        // The curves average the runs that completed (all of them when none did).
        let curves = seeded.map { run, trainers in
            let completed = trainers.filter { $0.failure == nil }
            return ComparisonRow(rule: run.label, history: meanHistory((completed.isEmpty ? trainers : completed).map(\.history)))
        }
        let report = ComparisonReport(rows: curves, title: experiment.name + (seeds == 1 ? "" : " (mean of \(seeds) seeds)"))
        try AtomicFile.write(report.testErrorChart, to: root + "/test-error.svg")
        try AtomicFile.write(report.angleChart, to: root + "/angles.svg")
        if let coherence = report.coherenceChart { try AtomicFile.write(coherence, to: root + "/coherence.svg") }
        if let feedback = report.feedbackChart { try AtomicFile.write(feedback, to: root + "/feedback.svg") }
        if experiment.measure == .testLoss {
            try AtomicFile.write(report.lossChart(references: experiment.referenceLosses), to: root + "/test-loss.svg")
        }
        let pictures = experiment.reconstructions && !feedForward.isEmpty
        if pictures {
            try writeReconstructions(feedForward, to: root, events: events)
        }
        if let layer = experiment.latentLayer, !feedForward.isEmpty {
            try writeLatentSpace(feedForward, layer: layer, to: root, events: events)
        }
        events(.status("wrote \(root)/results.csv, test-error.svg, angles.svg\(experiment.measure == .testLoss ? ", test-loss.svg" : "")"
                       + (pictures ? ", reconstructions-*.png" : "")))
    }

    /// The widths of the model and variant columns: the longest label and two spaces, at least
    /// the headers' widths.
    static func labelWidths(_ runs: [ExperimentRun], variantMinimum: Int = 28) -> (model: Int, variant: Int) {
        (max(24, (runs.map(\.model.count).max() ?? 0) + 2), max(variantMinimum, (runs.map(\.variant.count).max() ?? 0) + 2))
    }

    /// A figure for a CSV cell: ten significant digits, so that 100 × 0.1571 shows as 15.71
    /// rather than 15.709999999999999.
    static func csvNumber(_ value: Double) -> String {
        value.isFinite ? String(format: "%.10g", value) : "\(value)"
    }

    /// The seeds' histories averaged epoch by epoch (losses and errors, over the runs that reached
    /// that epoch); the diagnostics are the first history's.
    private func meanHistory(_ histories: [[EpochRecord]]) -> [EpochRecord] {
        guard histories.count > 1, let first = histories.first else { return histories.first ?? [] }
        return first.indices.map { e in
            let reached = histories.filter { $0.count > e }.map { $0[e] }
            var record = first[e]
            record.trainLoss = MeanAndStandardError(reached.map(\.trainLoss)).mean
            record.trainError = MeanAndStandardError(reached.map(\.trainError)).mean
            record.testLoss = MeanAndStandardError(reached.map(\.testLoss)).mean
            record.testError = MeanAndStandardError(reached.map(\.testError)).mean
            return record
        }
    }

    /// At the end of every run with feedback matrices: relative error ‖Wᵀ − B‖/‖W‖ and sign
    /// congruence per `B` standing for a `Wᵀ`, and the angle of each hidden layer's δa to
    /// backprop's — printed and written to feedback.csv.
    private func writeFeedbackTable(_ rows: [(run: ExperimentRun, history: [EpochRecord])], to root: String,
                                    events: (RunEvent) -> Void) throws {
        let measured = rows.compactMap { row in row.history.last?.probes.last.map { (row.run, $0.diagnostics) } }
        guard measured.contains(where: { !$0.1.feedback.isEmpty }) else { return }
        events(.output(""))
        events(.output("at the end: relative error ‖Wᵀ−B‖/‖W‖ and sign congruence of each B; angle of δa to backprop's per hidden layer"))
        var csv = ["model,variant,quantity,value"]
        let (modelWidth, variantWidth) = Self.labelWidths(measured.map(\.0), variantMinimum: 20)
        for (run, diagnostics) in measured {
            // The matrices that stand for a forward weight's transpose (not DFA's direct ones).
            let standing = diagnostics.feedback.filter { $0.kind != "direct" }
            let matrices = standing.map { f in String(format: "%@ %.3f %.1f%%", f.tag, f.relativeError, f.signCongruence) }
            let angles = diagnostics.creditAngles.enumerated().map { String(format: "∠δa%d %.1f°", $0 + 1, $1) }
            events(.output(run.model.padding(toLength: modelWidth, withPad: " ", startingAt: 0)
                        + run.variant.padding(toLength: variantWidth, withPad: " ", startingAt: 0)
                        + (matrices + angles).joined(separator: "  ")))
            for f in standing {
                csv.append("\(run.model),\(run.variant),relative_error_\(f.tag),\(Self.csvNumber(Double(f.relativeError)))")
                csv.append("\(run.model),\(run.variant),sign_congruence_percent_\(f.tag),\(Self.csvNumber(Double(f.signCongruence)))")
            }
            for (ℓ, angle) in diagnostics.creditAngles.enumerated() {
                csv.append("\(run.model),\(run.variant),angle_da\(ℓ + 1)_degrees,\(Self.csvNumber(Double(angle)))")
            }
        }
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/feedback.csv")
    }

    /// One SVG per model: hidden layer `layer`'s 2-D activity for 2,000 test images, by digit.
    private func writeLatentSpace(_ rows: [(run: ExperimentRun, trainer: Trainer<FeedForwardModel>)], layer: Int, to root: String,
                                  events: (RunEvent) -> Void) throws {
        for model in Set(rows.map(\.run.model)).sorted() {
            let ofModel = rows.filter { $0.run.model == model }
            guard let test = ofModel.first?.trainer.data.test else { continue }
            let indices = Array(0..<min(2000, test.count))
            let charts = ofModel.map { row in
                let code = row.trainer.model.hiddenActivity(test, indices: indices, layer: layer)
                return ScatterChart(title: row.run.variant, points: indices.enumerated().map { r, index in
                    (Double(code[r, 0]), Double(code.columns > 1 ? code[r, 1] : 0), test.label(index) ?? 0)
                })
            }
            try AtomicFile.write(ScatterChart.panels(charts), to: root + "/latent-\(model).svg")
            events(.status("latent-\(model).svg: the \(layer + 1). hidden layer of \(indices.count) test digits, coloured by digit"))
        }
    }

    /// One PNG per model: the first ten test digits, then each rule's reconstructions.
    private func writeReconstructions(_ rows: [(run: ExperimentRun, trainer: Trainer<FeedForwardModel>)], to root: String, events: (RunEvent) -> Void) throws {
        let indices = Array(0..<10)
        for model in Set(rows.map(\.run.model)) {
            let ofModel = rows.filter { $0.run.model == model }
            guard let first = ofModel.first else { continue }
            let test = first.trainer.data.test
            var originals = Matrix(rows: indices.count, columns: test.featureCount)
            var targets = Matrix(rows: indices.count, columns: test.outputSize)
            test.fillBatch(indices[...], input: &originals, target: &targets)
            func images(_ m: Matrix) -> [[Float]] { (0..<m.rows).map { r in (0..<m.columns).map { m[r, $0] } } }
            var grid = [images(targets)]
            for row in ofModel { grid.append(images(row.trainer.model.predict(test, indices: indices))) }
            let side = Int(Double(test.featureCount).squareRoot())
            try AtomicFile.write(ImageGrid(imageWidth: side, imageHeight: side, rows: grid).png(), to: root + "/reconstructions-\(model).png")
            events(.status("reconstructions-\(model).png rows: original, " + ofModel.map(\.run.variant).joined(separator: ", ")))
        }
    }
}
