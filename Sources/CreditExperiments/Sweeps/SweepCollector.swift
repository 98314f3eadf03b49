import CreditKit
import Foundation

extension SweepManifest {
    /// The sweep of `experiment` as `runner` plans it (its models, variants, seeds and epochs):
    /// one entry per run and seed, each in the directory `credit reproduce` gives it, so that a
    /// sweep and a sequential reproduction share their finished runs.
    public static func of(_ experiment: Experiment, runner: ExperimentRunner, dataRoot: String?)
        -> (manifest: SweepManifest, specifications: [RunSpecification]) {
        var entries: [Entry] = [], specifications: [RunSpecification] = []
        for (run, instances) in runner.plan(experiment) {
            for instance in instances {
                entries.append(Entry(id: String(format: "%04d", entries.count + 1), model: run.model, variant: run.variant,
                                     seed: instance.specification.seed, epochs: instance.specification.epochs,
                                     directory: instance.directory, paperFigure: run.paperTestError, paperNote: run.paperNote))
                specifications.append(instance.specification)
            }
        }
        let manifest = SweepManifest(name: experiment.name, source: experiment.source, notes: experiment.notes,
                                     measuresLoss: experiment.measure == .testLoss,
                                     referenceLosses: experiment.referenceLosses.map { ReferenceLoss(name: $0.name, value: $0.value) },
                                     dataRoot: dataRoot, entries: entries)
        return (manifest, specifications)
    }
}

/// The tables and charts `credit reproduce` writes, over any sweep: each (model, variant) a row,
/// its seeds averaged; the runs that have not finished are named and left out.
public enum SweepCollector {
    /// Writes results.csv, feedback.csv and the charts into the sweep's folder and prints the table.
    public static func collect(_ sweep: SweepDirectory, events: (RunEvent) -> Void) throws {
        let manifest = try sweep.readManifest()
        var groups: [(run: ExperimentRun, trainers: [ExperimentOutcome.Seed])] = []
        var missing: [String] = []
        for entry in manifest.entries {
            let state = sweep.state(of: entry)
            let history = sweep.history(of: entry)
            var failure: String?
            switch state {
            case .done: break
            case .diverged(let reason): failure = reason
            default:
                missing.append("\(entry.id) (\(entry.model) \(entry.variant) seed \(entry.seed): \(state.name))")
                continue
            }
            let seed = ExperimentOutcome.Seed(seed: entry.seed, history: history, feedForward: nil, failure: failure)
            if let g = groups.firstIndex(where: { $0.run.model == entry.model && $0.run.variant == entry.variant }) {
                groups[g].trainers.append(seed)
            } else {
                let specification = try sweep.readSpecification(entry.id)
                groups.append((ExperimentRun(model: entry.model, variant: entry.variant, configuration: specification,
                                             paperTestError: entry.paperFigure, paperNote: entry.paperNote), [seed]))
            }
        }
        if !missing.isEmpty {
            events(.status("not finished, left out of the table: " + missing.joined(separator: ", ")))
        }
        guard !groups.isEmpty else {
            throw TrainingError.output(file: sweep.path, reason: "no run of the sweep has finished yet; `credit sweep status \(sweep.path)`")
        }
        let experiment = Experiment(name: manifest.name, source: manifest.source, notes: manifest.notes, runs: groups.map(\.run),
                                    defaultEpochs: manifest.entries.first?.epochs ?? 1, reconstructions: false,
                                    measure: manifest.measuresLoss ? .testLoss : .testError,
                                    referenceLosses: manifest.referenceLosses.map { ($0.name, $0.value) })
        try ExperimentRunner(root: sweep.path).report(experiment, seeded: groups, root: sweep.path, events: events)
    }
}
