import CreditKit
import Foundation

/// Trains one configuration into one run directory, reporting progress as ``RunEvent``s: the loop
/// `train`, `train-rnn`, `compare` and `reproduce` share, for every model. A directory that
/// already holds a checkpoint of the same configuration is resumed, so an interrupted comparison
/// or reproduction picks up where it was.
///
/// With `stopOnDivergence`, a run whose loss stops being finite ends early and returns what it
/// had (the divergence in `failure`) instead of throwing, so that an experiment can show a rule
/// or a seed failing. It leaves `diverged.txt`; a rerun reports it again without retraining.
public enum RunSession {
    /// A feed-forward run on `data`: the configuration is validated here, once. A rule that
    /// prepares itself (Kickback's factor search) does so before the first epoch; a resumed run
    /// keeps the choices its `config.json` records.
    @discardableResult
    public static func run(_ configuration: TrainingConfiguration, data: DataSplit, in directory: RunDirectory, label: String? = nil,
                           stopOnDivergence: Bool = false, events: (RunEvent) -> Void = { _ in }) throws
        -> (trainer: Trainer<FeedForwardModel>, failure: String?) {
        try run(configuration.validated(for: data), in: directory, label: label, stopOnDivergence: stopOnDivergence, events: events)
    }

    /// A feed-forward run of a configuration checked against its data.
    @discardableResult
    public static func run(_ validated: Validated<TrainingConfiguration>, in directory: RunDirectory, label: String? = nil,
                           stopOnDivergence: Bool = false, events: (RunEvent) -> Void = { _ in }) throws
        -> (trainer: Trainer<FeedForwardModel>, failure: String?) {
        var validated = validated
        if validated.configuration.rule.settings.needsPreparation {
            let fileManager = FileManager.default
            if fileManager.fileExists(atPath: directory.checkpointPath) || fileManager.fileExists(atPath: directory.divergencePath) {
                // The choices made when the run started (e.g. Kickback's factors) are in its config.json.
                var recorded = validated.configuration
                recorded.rule = try directory.readConfiguration().rule
                validated = try recorded.validated(for: validated.data!)
            } else {
                validated = try validated.preparingRule { events(.status("\(label.map { $0 + ": " } ?? "")\($0)")) }
            }
        }
        return try run(validated.configuration, in: directory, label: label, stopOnDivergence: stopOnDivergence, events: events) {
            try Trainer(validated)
        }
    }

    /// A recurrent run: the configuration is validated here, once.
    @discardableResult
    public static func run(_ configuration: RecurrentConfiguration, in directory: RunDirectory, label: String? = nil,
                           stopOnDivergence: Bool = false, events: (RunEvent) -> Void = { _ in }) throws
        -> (trainer: Trainer<RecurrentModel>, failure: String?) {
        try run(configuration.validated(), in: directory, label: label, stopOnDivergence: stopOnDivergence, events: events)
    }

    /// A recurrent run of a checked configuration.
    @discardableResult
    public static func run(_ validated: Validated<RecurrentConfiguration>, in directory: RunDirectory, label: String? = nil,
                           stopOnDivergence: Bool = false, events: (RunEvent) -> Void = { _ in }) throws
        -> (trainer: Trainer<RecurrentModel>, failure: String?) {
        try run(validated.configuration, in: directory, label: label, stopOnDivergence: stopOnDivergence, events: events) {
            try Trainer(validated)
        }
    }

    /// The session of any model: `make` builds the trainer of `configuration` at epoch 0.
    static func run<Model: TrainingModel>(_ configuration: Model.Configuration, in directory: RunDirectory, label: String?,
                                          stopOnDivergence: Bool, events: (RunEvent) -> Void,
                                          make: () throws -> Trainer<Model>) throws
        -> (trainer: Trainer<Model>, failure: String?) {
        // The directory is a transaction of one writer: take its lock before reading anything.
        try directory.create()
        let lock = try directory.lock()
        defer { withExtendedLifetime(lock) {} }
        let fileManager = FileManager.default
        let resuming = fileManager.fileExists(atPath: directory.checkpointPath)
        let divergedBefore = stopOnDivergence ? try? String(contentsOfFile: directory.divergencePath, encoding: .utf8) : nil
        /// A trainer at the last finished epoch on disk (epoch 0 without a checkpoint).
        func lastRecorded() throws -> Trainer<Model> {
            var trainer = try make()
            if fileManager.fileExists(atPath: directory.checkpointPath) {
                try trainer.restore(Checkpoint.read(from: directory.checkpointPath), file: directory.checkpointPath)
            }
            return trainer
        }
        // A run killed in its first epoch has a config.json and no checkpoint: it starts over, but
        // only as the run it was.
        if fileManager.fileExists(atPath: directory.configurationPath) {
            var comparable = try directory.readConfiguration(as: Model.Configuration.self)
            comparable.epochs = configuration.epochs
            guard comparable == configuration else {
                throw TrainingError.checkpoint(file: directory.configurationPath,
                                               reason: "holds a run of another configuration; choose another --out or remove it")
            }
        }
        var trainer = try lastRecorded()
        guard configuration.epochs >= trainer.epochsCompleted else {
            throw ConfigurationError.invalid(field: "epochs", value: "\(configuration.epochs)",
                                             expected: "at least the \(trainer.epochsCompleted) epochs \(directory.path) has finished")
        }
        let prefix = label.map { $0 + "  " } ?? ""
        if let divergedBefore {
            events(.status("\(directory.path) diverged before: \(divergedBefore)"))
            return (trainer, divergedBefore)
        }
        if resuming, trainer.epochsCompleted > 0 {
            events(.status("resuming \(directory.path) after epoch \(trainer.epochsCompleted) of \(configuration.epochs)"))
            // A kill between the checkpoint and the reports leaves them an epoch behind: bring them level.
            try directory.writeReports(of: trainer)
        }
        try directory.writeConfiguration(of: trainer)
        events(.status(prefix + trainer.model.summary))
        while trainer.epochsCompleted < configuration.epochs {
            let record: EpochRecord
            do {
                record = try trainer.trainEpoch { event in
                    switch event {
                    case .batch(let progress): events(.progress(progress))
                    case .warning(let text): events(.warning(text))
                    default: break
                    }
                }
            } catch {
                guard stopOnDivergence, case .diverged = error else { throw error }
                events(.status(prefix + "\(error)"))
                try AtomicFile.write("\(error)", to: directory.divergencePath)
                // The weights are NaN now; what the run has to show is its last finished epoch.
                return (try lastRecorded(), "\(error)")
            }
            events(.output(epochLine(record, of: configuration.epochs, prefix: prefix, error: trainer.model.errorName)))
            try directory.recordEpoch(of: trainer)
        }
        return (trainer, nil)
    }

    /// `epoch e/n  train loss …  train err …  test loss …  test err …  s  samples/s  ∠ΔW …`; a
    /// regression's error is its `nMSE`, shown as a number rather than a percentage.
    static func epochLine(_ record: EpochRecord, of epochs: Int, prefix: String, error: String) -> String {
        let angles = record.probes.last.map { "  ∠ΔW " + $0.diagnostics.weightAngles.map { String(format: "%.1f°", $0) }.joined(separator: " ") } ?? ""
        func show(_ value: Double) -> String { error == "nMSE" ? String(format: "%.4f", value) : percent(value) }
        return String(format: "%@epoch %3d/%d  train loss %.4f  train %@ %@  test loss %.4f  test %@ %@  %.1f s  %@ samples/s",
                      prefix, record.epoch, epochs, record.trainLoss, error, show(record.trainError), record.testLoss,
                      error, show(record.testError), record.seconds, grouped(record.samplesPerSecond)) + angles
    }
}
