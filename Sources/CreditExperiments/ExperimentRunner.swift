import CreditKit
import Foundation

/// One run of an experiment with every seed it was trained on.
public struct ExperimentOutcome: Sendable {
    /// A seed's trainer at its last finished epoch, and why it stopped early, if it did.
    public typealias Seed = (seed: UInt64, trainer: Trainer, failure: String?)
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
    /// Where the data are found.
    public var locator: DataLocator

    /// A runner; every choice defaults to the experiment's own.
    public init(root: String? = nil, epochs: Int? = nil, seeds: Int = 1, models: Set<String>? = nil, joints: Set<Int>? = nil,
                locator: DataLocator = DataLocator()) {
        self.root = root
        self.epochs = epochs
        self.seeds = seeds
        self.models = models
        self.joints = joints
        self.locator = locator
    }

    /// A feed-forward experiment: every run (with every seed in turn), then the table of paper vs
    /// ours — over several seeds, mean ± standard error of the final and best test figure —,
    /// results.csv (one row per run and seed) and the charts. The loss and error curves are the mean
    /// over the seeds; the diagnostics, latent space and reconstructions are the first seed's. A run
    /// that diverges ends there and is counted as such, left out of the means.
    @discardableResult
    public func run(_ experiment: Experiment, events: (RunEvent) -> Void = { _ in }) throws -> [ExperimentOutcome] {
        let root = self.root ?? "runs/\(experiment.name)"
        let runs = experiment.runs(models: models).filter { run in
            joints.map { run.configuration.joint.map($0.contains) ?? true } ?? true
        }
        events(.status("\(experiment.name): \(runs.count) runs\(seeds == 1 ? "" : " × \(seeds) seeds") — \(experiment.source)"))
        var loaded: [DatasetName: DataSplit] = [:]
        typealias Outcome = ExperimentOutcome.Seed
        var seeded: [(run: ExperimentRun, trainers: [Outcome])] = []
        for run in runs {
            var trainers: [Outcome] = []
            for s in 0..<seeds {
                var configuration = run.configuration
                configuration.epochs = epochs ?? experiment.defaultEpochs
                configuration.seed += UInt64(s)
                let data = try loaded[configuration.dataset] ?? DatasetCatalog.load(configuration.dataset, locator: locator)
                loaded[configuration.dataset] = data
                let directory = seeds == 1 ? run.directoryName : "\(run.directoryName)-seed\(configuration.seed)"
                let label = seeds == 1 ? run.label : "\(run.label) seed \(configuration.seed)"
                let (trainer, failure) = try RunSession.run(configuration, data: data, in: RunDirectory(path: root + "/" + directory),
                                                            label: label, stopOnDivergence: true, events: events)
                trainers.append((configuration.seed, trainer, failure))
            }
            seeded.append((run, trainers))
        }
        let firstSeed = seeded.map { (run: $0.run, trainer: $0.trainers[0].trainer) }

        let autoencoder = runs.first?.configuration.autoencoder == true
        // Autoencoders have no error rate: their figure is the test loss per image.
        func finalFigure(_ trainer: Trainer) -> Double { autoencoder ? trainer.history.last?.testLoss ?? .nan : trainer.history.last?.testError ?? .nan }
        func bestFigure(_ trainer: Trainer) -> Double {
            let figures = trainer.history.map { autoencoder ? $0.testLoss : $0.testError }.filter { !$0.isNaN }
            return figures.min() ?? .nan
        }
        func show(_ values: [Double]) -> String {
            let spread = MeanAndStandardError(values)
            guard spread.count > 0 else { return "diverged" }
            let mean = autoencoder ? String(format: "%.3f", spread.mean) : percent(spread.mean)
            guard values.count > 1 else { return mean }
            return mean + " ± " + (autoencoder ? String(format: "%.3f", spread.standardError) : String(format: "%.2f", 100 * spread.standardError))
        }
        events(.output(""))
        events(.output("\(experiment.name) — \(experiment.source)" + (seeds == 1 ? "" : " — mean ± standard error over \(seeds) seeds")))
        let width = seeds == 1 ? 15 : 22
        events(.output("model                   variant                     paper       " + "ours (final)".padding(toLength: width, withPad: " ", startingAt: 0)
                    + "ours (best)"))
        let measure = autoencoder ? "test_loss" : "test_error_percent"
        var csv = ["model,variant,seed,paper_test_error_percent,final_\(measure),best_\(measure),epochs,outcome"]
        for (run, trainers) in seeded {
            let paper = run.paperTestError.map { String(format: "%.2f%%", $0) } ?? "—"
            let completed = trainers.filter { $0.failure == nil }.map(\.trainer)
            let diverged = trainers.count - completed.count
            events(.output(run.model.padding(toLength: 24, withPad: " ", startingAt: 0) + run.variant.padding(toLength: 28, withPad: " ", startingAt: 0)
                        + paper.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + show(completed.map(finalFigure)).padding(toLength: width, withPad: " ", startingAt: 0)
                        + show(completed.map(bestFigure))
                        + (diverged > 0 && !completed.isEmpty ? "   (\(diverged) of \(trainers.count) diverged)" : "")))
            let scale = autoencoder ? 1.0 : 100.0
            for (seed, trainer, failure) in trainers {
                csv.append("\(run.model),\(run.variant),\(seed),\(run.paperTestError.map { "\($0)" } ?? ""),"
                           + "\(scale * finalFigure(trainer)),\(scale * bestFigure(trainer)),\(trainer.epochsCompleted),"
                           + "\"\(failure.map { "diverged: " + $0.replacingOccurrences(of: "\"", with: "'") } ?? "completed")\"")
            }
        }
        for (run, trainers) in seeded {
            for outcome in trainers where outcome.failure != nil {
                events(.output("  \(run.label) seed \(outcome.seed): stopped after \(outcome.trainer.epochsCompleted) epochs — \(outcome.failure!)"))
            }
        }
        for note in Set(runs.compactMap(\.paperNote)).sorted() { events(.output("paper: \(note)")) }
        try writeFeedbackTable(firstSeed, to: root, events: events)
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/results.csv")
        // The curves average the runs that completed (all of them when none did).
        let curves = seeded.map { run, trainers in
            let completed = trainers.filter { $0.failure == nil }
            return ComparisonRow(rule: run.label, history: meanHistory((completed.isEmpty ? trainers : completed).map(\.trainer.history)))
        }
        let report = ComparisonReport(rows: curves, title: experiment.name + (seeds == 1 ? "" : " (mean of \(seeds) seeds)"))
        try AtomicFile.write(report.testErrorChart, to: root + "/test-error.svg")
        try AtomicFile.write(report.angleChart, to: root + "/angles.svg")
        if let coherence = report.coherenceChart { try AtomicFile.write(coherence, to: root + "/coherence.svg") }
        if let feedback = report.feedbackChart { try AtomicFile.write(feedback, to: root + "/feedback.svg") }
        if experiment.reconstructions {
            try writeReconstructions(firstSeed, to: root, events: events)
        }
        if let layer = experiment.latentLayer {
            try writeLatentSpace(firstSeed, layer: layer, to: root, events: events)
        }
        events(.status("wrote \(root)/results.csv, test-error.svg, angles.svg\(experiment.reconstructions ? ", reconstructions-*.png" : "")"))
        return seeded.map { ExperimentOutcome(run: $0.run, seeds: $0.trainers) }
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

    /// A recurrent experiment: every rule with every seed in turn (a diverging run ends early and
    /// is reported as such), then a table over the seeds, results.csv (one row per run), loss.svg
    /// (test loss and XOR accuracy) and alignment.svg, each curve the mean over the seeds' runs
    /// still going at that epoch.
    @discardableResult
    public func run(_ experiment: RecurrentExperiment, events: (RunEvent) -> Void = { _ in }) throws
        -> [(variant: String, seed: UInt64, trainer: RecurrentTrainer, failure: String?)] {
        let root = self.root ?? "runs/\(experiment.name)"
        events(.status("\(experiment.name): \(experiment.runs.count) rules × \(seeds) seed\(seeds == 1 ? "" : "s") — \(experiment.source)"))
        typealias Row = (variant: String, seed: UInt64, trainer: RecurrentTrainer, failure: String?)
        var rows: [Row] = []
        for s in 0..<seeds {
            for (variant, configuration) in experiment.runs {
                var configuration = configuration
                configuration.epochs = epochs ?? experiment.defaultEpochs
                configuration.seed += UInt64(s)
                let directory = seeds == 1 ? variant : "\(variant)-seed\(configuration.seed)"
                let label = seeds == 1 ? variant : "\(variant) seed \(configuration.seed)"
                let (trainer, failure) = try RecurrentRunSession.run(configuration, in: root + "/" + directory, label: label, stopOnDivergence: true,
                                                                     events: events)
                rows.append((variant, configuration.seed, trainer, failure))
            }
        }
        func meanAngle(_ trainer: RecurrentTrainer) -> Double {
            let angles = trainer.history.map(\.creditAngle).filter(\.isFinite)
            return angles.isEmpty ? .nan : angles.reduce(0, +) / Double(angles.count)
        }
        func mean(_ values: [Double]) -> Double { MeanAndStandardError(values).mean }
        events(.output(""))
        events(.output("\(experiment.name) — \(experiment.source)"))
        events(.output("rule   runs   learned (≥ 99 % right at the end)   diverged   test loss/step   XOR right   mean ∠δa to BPTT"))
        var csv = ["rule,seed,epochs,final_test_loss,final_xor_accuracy,best_xor_accuracy,mean_credit_angle,outcome"]
        for (variant, _) in experiment.runs {
            let runs = rows.filter { $0.variant == variant }
            let completed = runs.filter { $0.failure == nil }
            let learned = completed.filter { ($0.trainer.history.last?.testAccuracy ?? 0) >= 0.99 }.count
            let finalLoss = mean(completed.map { $0.trainer.history.last?.testLoss ?? .nan })
            let finalAccuracy = mean(completed.map { $0.trainer.history.last?.testAccuracy ?? .nan })
            events(.output(variant.padding(toLength: 7, withPad: " ", startingAt: 0)
                        + String(format: "%4d   %33d   %8d   ", runs.count, learned, runs.count - completed.count)
                        + (completed.isEmpty ? "             —           —" : String(format: "%14.4f   %8.1f%%", finalLoss, 100 * finalAccuracy))
                        + String(format: "   %15.1f°", mean(runs.map { meanAngle($0.trainer) }))))
            for row in runs {
                let last = row.trainer.history.last
                let best = row.trainer.history.map(\.testAccuracy).max() ?? .nan
                let outcome = row.failure.map { "diverged: \($0)" } ?? "completed"
                csv.append("\(row.variant),\(row.seed),\(row.trainer.epochsCompleted),\(last?.testLoss ?? .nan),\(last?.testAccuracy ?? .nan),"
                           + "\(best),\(meanAngle(row.trainer)),\"\(outcome)\"")
            }
        }
        for row in rows where row.failure != nil {
            events(.output("  \(row.variant) seed \(row.seed): diverged after \(row.trainer.epochsCompleted) epochs — \(row.failure!)"))
        }
        events(.output("(test loss and XOR right: mean over the runs that completed; the angle: over every run's epochs)"))
        events(.output("paper: " + experiment.notes))
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/results.csv")
        func series(_ value: @escaping (RecurrentEpochRecord) -> Double) -> [LineChart.Series] {
            experiment.runs.map { variant, _ in
                let histories = rows.filter { $0.variant == variant }.map(\.trainer.history)
                let epochs = histories.map(\.count).max() ?? 0
                let points = (0..<epochs).map { e in (Double(e + 1), mean(histories.filter { $0.count > e }.map { value($0[e]) })) }
                return LineChart.Series(name: variant, points: points)
            }
        }
        let loss = LineChart(title: "Delayed XOR: test loss per step", xLabel: "epoch", yLabel: "loss", series: series(\.testLoss),
                             logarithmicY: true)
        let accuracy = LineChart(title: "Delayed XOR: answers with the right sign", xLabel: "epoch", yLabel: "%",
                                 series: series { 100 * $0.testAccuracy })
        try AtomicFile.write(LineChart.panels([loss, accuracy]), to: root + "/loss.svg")
        let alignment = LineChart(title: "Angle of δaₜ to BPTT's, mean over the unrolled steps", xLabel: "epoch", yLabel: "degrees",
                                  series: series(\.creditAngle))
        try AtomicFile.write(alignment.svg(), to: root + "/alignment.svg")
        events(.status("wrote \(root)/results.csv, loss.svg, alignment.svg"))
        return rows
    }

    /// At the end of every run with feedback matrices: relative error ‖Wᵀ − B‖/‖W‖ and sign
    /// congruence per `B` standing for a `Wᵀ`, and the angle of each hidden layer's δa to
    /// backprop's — printed and written to feedback.csv.
    private func writeFeedbackTable(_ rows: [(run: ExperimentRun, trainer: Trainer)], to root: String, events: (RunEvent) -> Void) throws {
        let measured = rows.compactMap { row in row.trainer.history.last?.probes.last.map { (row.run, $0.diagnostics) } }
        guard measured.contains(where: { !$0.1.feedback.isEmpty }) else { return }
        events(.output(""))
        events(.output("at the end: relative error ‖Wᵀ−B‖/‖W‖ and sign congruence of each B; angle of δa to backprop's per hidden layer"))
        var csv = ["model,variant,quantity,value"]
        for (run, diagnostics) in measured {
            let matrices = diagnostics.feedback.filter { $0.kind == "above" }.map { f in
                String(format: "B%d %.3f %.1f%%", f.layer + 2, f.relativeError, f.signCongruence)
            }
            let angles = diagnostics.creditAngles.enumerated().map { String(format: "∠δa%d %.1f°", $0 + 1, $1) }
            events(.output(run.model.padding(toLength: 24, withPad: " ", startingAt: 0) + run.variant.padding(toLength: 20, withPad: " ", startingAt: 0)
                        + (matrices + angles).joined(separator: "  ")))
            for f in diagnostics.feedback where f.kind == "above" {
                csv.append("\(run.model),\(run.variant),relative_error_B\(f.layer + 2),\(f.relativeError)")
                csv.append("\(run.model),\(run.variant),sign_congruence_percent_B\(f.layer + 2),\(f.signCongruence)")
            }
            for (ℓ, angle) in diagnostics.creditAngles.enumerated() {
                csv.append("\(run.model),\(run.variant),angle_da\(ℓ + 1)_degrees,\(angle)")
            }
        }
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/feedback.csv")
    }

    /// One SVG per model: hidden layer `layer`'s 2-D activity for 2,000 test images, by digit.
    private func writeLatentSpace(_ rows: [(run: ExperimentRun, trainer: Trainer)], layer: Int, to root: String,
                                  events: (RunEvent) -> Void) throws {
        for model in Set(rows.map(\.run.model)).sorted() {
            let ofModel = rows.filter { $0.run.model == model }
            guard let test = ofModel.first?.trainer.data.test else { continue }
            let indices = Array(0..<min(2000, test.count))
            let charts = ofModel.map { row in
                let code = row.trainer.hiddenActivity(test, indices: indices, layer: layer)
                return ScatterChart(title: row.run.variant, points: indices.enumerated().map { r, index in
                    (Double(code[r, 0]), Double(code.columns > 1 ? code[r, 1] : 0), test.label(index) ?? 0)
                })
            }
            try AtomicFile.write(ScatterChart.panels(charts), to: root + "/latent-\(model).svg")
            events(.status("latent-\(model).svg: the \(layer + 1). hidden layer of \(indices.count) test digits, coloured by digit"))
        }
    }

    /// One PNG per model: the first ten test digits, then each rule's reconstructions.
    private func writeReconstructions(_ rows: [(run: ExperimentRun, trainer: Trainer)], to root: String, events: (RunEvent) -> Void) throws {
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
            for row in ofModel { grid.append(images(row.trainer.predict(test, indices: indices))) }
            let side = Int(Double(test.featureCount).squareRoot())
            try AtomicFile.write(ImageGrid(imageWidth: side, imageHeight: side, rows: grid).png(), to: root + "/reconstructions-\(model).png")
            events(.status("reconstructions-\(model).png rows: original, " + ofModel.map(\.run.variant).joined(separator: ", ")))
        }
    }
}
